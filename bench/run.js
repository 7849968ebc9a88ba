// `npm run bench`: prints markdown tables to paste into the README, with the machine they ran on.
import { cpus, totalmem } from "node:os";
import { benchCompile } from "./compile.js";

console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB\n`);
console.log(await benchCompile());
