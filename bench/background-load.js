// Background load for the speed benchmarks: one busy-looping process per CPU, as a machine looks while
// a build or a test suite runs beside the model. Started by the bench and stopped by it, however it ends.
import { spawn } from "node:child_process";
import { cpus } from "node:os";

/** Starts `count` (default: one per CPU) processes that spin forever; `stop()` kills them by pid. */
export function startBackgroundLoad(count = cpus().length) {
  const children = Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  const kill = () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  };
  process.on("exit", kill);
  return {
    count,
    async stop() {
      const exited = children.map((child) =>
        child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once("exit", resolve)) : undefined,
      );
      kill();
      await Promise.all(exited);
      process.off("exit", kill);
    },
  };
}
