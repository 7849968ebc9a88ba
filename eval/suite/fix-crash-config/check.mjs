import { execFileSync } from "node:child_process";
let out;
try {
  out = execFileSync("node", ["app.js"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
} catch (error) {
  console.log(`node app.js still fails: ${String(error.stderr).split("\n").find((l) => /Error/.test(l)) ?? error.message}`);
  process.exit(1);
}
if (out !== "inventory listening on 8080") {
  console.log(`node app.js printed ${JSON.stringify(out)}, expected "inventory listening on 8080"`);
  process.exit(1);
}
console.log("ok");
