import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";

/**
 * The temporary folders and child processes a test file makes, removed and killed after each test
 * (so a failing test leaves neither behind). Call once at the top of the file.
 */
export function useTempsAndChildren(prefix: string): { tempDir: () => string; children: ChildProcess[] } {
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
  };
}
