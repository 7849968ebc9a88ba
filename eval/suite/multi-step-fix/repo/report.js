import { readFileSync } from "node:fs";
import { sumBy } from "./sum.js";

const orders = JSON.parse(readFileSync("orders.json", "utf8"));
console.log(`total: ${sumBy(orders, "amount")}`);
