// `npm run bench`: prints markdown tables to paste into docs/benchmarks.md, with the machine they ran on.
import { cpus, totalmem } from "node:os";
import { benchClassifier } from "./classifier.js";
import { benchCompile } from "./compile.js";
import { benchEngineTtft } from "./engine-ttft.js";
import { benchContinuedSession, benchNewSession } from "./new-session.js";
import { benchSpeculative } from "./speculative.js";
import { benchOverhead } from "./overhead.js";
import { benchTranslator } from "./proxy.js";
import { benchProxyStart } from "./proxy-start.js";

try {
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB\n`);
  console.log(await benchCompile());
  console.log();
  console.log(await benchProxyStart());
  console.log();
  console.log(await benchOverhead());
  console.log();
  console.log(await benchTranslator());
  console.log();
  console.log(await benchEngineTtft());
  console.log();
  // The model kit's real coder: each says so in a line and is skipped when the kit is not there.
  console.log(await benchNewSession());
  console.log(await benchContinuedSession());
  console.log();
  console.log(await benchSpeculative());
  console.log();
  console.log(await benchClassifier());
} catch (error) {
  console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
}
