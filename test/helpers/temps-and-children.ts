import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import { systemProcessInspector } from "../../src/supervisor/processes/process-identity.js";

/** The argv of a process that runs until it is killed: what a record's server or another mallex looks like. */
export const SLEEPER: readonly string[] = [process.execPath, "-e", "setInterval(() => {}, 1000)"];

/**
 * The temporary folders and child processes a test file makes, removed and killed after each test
 * (so a failing test leaves neither behind). Call once at the top of the file.
 */
export function useTempsAndChildren(prefix: string): { tempDir: () => string; children: ChildProcess[]; sleeper: () => Promise<number> } {
  const temps: string[] = [];
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  return {
    tempDir: () => {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      temps.push(dir);
      return dir;
    },
    children,
    /** The pid of a live SLEEPER that is not this test, once it runs; killed after the test. */
    sleeper: async () => {
      const child = spawn(SLEEPER[0]!, SLEEPER.slice(1), { stdio: "ignore" });
      children.push(child);
      for (const deadline = Date.now() + 5000; !systemProcessInspector.isAlive(child.pid!); await new Promise((r) => setTimeout(r, 20))) {
        if (Date.now() > deadline) throw new Error("the child did not start");
      }
      return child.pid!;
    },
  };
}

/** The pid of a process that ran and ended. */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise((resolve) => child.once("exit", resolve));
  return child.pid!;
}
