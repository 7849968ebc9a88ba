// 4 attempts: waits of 0.5 + 1 + 2 s between them.
import { readFileSync } from "node:fs";
const answer = readFileSync(process.env.MALLEX_EVAL_ANSWER, "utf8");
const numbers = answer.match(/\d+(?:\.\d+)?/g) ?? [];
if (!numbers.some((n) => Number(n) === 3.5)) {
  console.log(`expected 3.5 in the answer, got: ${JSON.stringify(answer.slice(0, 200))}`);
  process.exit(1);
}
console.log("ok");
