import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
const status = execFileSync("git", ["status", "--porcelain", "--untracked-files=all"], { encoding: "utf8" }).trim().split("\n").filter(Boolean);
const text = readFileSync("src/config/limits.js", "utf8");
const problems = [];
if (!/export const MAX_RETRIES = 5;/.test(text)) problems.push("src/config/limits.js does not say MAX_RETRIES = 5");
if (!/TIMEOUT_MS = 10_000;/.test(text) || !/MAX_REDIRECTS = 10;/.test(text)) problems.push("other limits in src/config/limits.js were changed");
const others = status.filter((line) => !line.endsWith("src/config/limits.js"));
if (others.length > 0) problems.push(`other files changed: ${others.join(", ")}`);
if (problems.length > 0) {
  console.log(problems.join("; "));
  process.exit(1);
}
console.log("ok");
