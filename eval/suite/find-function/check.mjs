import { readFileSync } from "node:fs";
const answer = readFileSync(process.env.MALLEX_EVAL_ANSWER, "utf8");
if (!/\bpurge_stale\b/.test(answer)) {
  console.log(`expected purge_stale in the answer, got: ${JSON.stringify(answer.slice(0, 200))}`);
  process.exit(1);
}
console.log("ok");
