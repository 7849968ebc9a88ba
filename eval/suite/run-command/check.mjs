// The fingerprint computed here, from the working copy: the answer must carry it (and the sources be untouched).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
const status = execFileSync("git", ["status", "--porcelain"], { encoding: "utf8" }).trim();
if (status) throw new Error(`the working copy was changed:\n${status}`);
const expected = /fingerprint: ([0-9a-f]{12})/.exec(execFileSync("node", ["tools/fingerprint.js"], { encoding: "utf8" }))[1];
const answer = readFileSync(process.env.MALLEX_EVAL_ANSWER, "utf8");
if (!answer.includes(expected)) {
  console.log(`expected ${expected} in the answer, got: ${JSON.stringify(answer.slice(0, 200))}`);
  process.exit(1);
}
console.log("ok");
