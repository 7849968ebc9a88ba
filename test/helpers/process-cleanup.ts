import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServerSupervisor } from "../../src/supervisor/types.js";

/**
 * What a supervisor test started, so its afterEach can stop supervisors, kill stray processes by
 * pid and remove the temporary MALLEX_HOMEs: no test leaves a process or folder behind.
 */
export function createProcessCleanup(prefix: string) {
  const supervisors: ServerSupervisor[] = [];
  const pids = new Set<number>();
  const homes: string[] = [];
  return {
    supervisors,
    pids,
    home(): string {
      const home = mkdtempSync(join(tmpdir(), prefix));
      homes.push(home);
      return home;
    },
    async cleanup(): Promise<void> {
      await Promise.all(supervisors.splice(0).map((s) => s.stop()));
      for (const pid of pids) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      pids.clear();
      // A kept server's log sink (its own process) writes its last lines as the server it logs dies, later on a
      // loaded machine (ENOTEMPTY at 0.5 s under load 12): retried for up to 4 s, not raced.
      for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true, maxRetries: 40, retryDelay: 100 });
    },
  };
}
