import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
const data = JSON.parse(readFileSync("orders.json", "utf8"));
if (data.length !== 3 || data.map((o) => o.price ?? o.amount).join() !== "12,30,8") throw new Error("orders.json's data was changed");
const out = execFileSync("node", ["report.js"], { encoding: "utf8" }).trim();
if (out !== "total: 50") {
  console.log(`node report.js printed ${JSON.stringify(out)}, expected "total: 50"`);
  process.exit(1);
}
console.log("ok");
