import { expect } from "vitest";
import { createSupervisorPool, type SupervisorPool } from "../../src/backends/supervisor-pool.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { createSupervisor } from "../../src/supervisor/create-supervisor.js";
import type { SupervisorEvent } from "../../src/supervisor/types.js";
import { compileIn } from "./config-tree.js";
import type { createProcessCleanup } from "./process-cleanup.js";

/** The config in `dir` compiled (without a diagnostic) and its supervised servers' pool, each supervisor's events collected and stopped after the test. */
export function compiledPool(
  dir: string,
  processes: ReturnType<typeof createProcessCleanup>,
  stopTimeoutMs: number,
): { table: RoutingTable; pool: SupervisorPool; events: SupervisorEvent[]; home: string; dir: string } {
  const tree = compileIn(dir);
  expect(tree.lines).toEqual([]);
  const table = tree.table!;
  const events: SupervisorEvent[] = [];
  const home = processes.home();
  const pool = createSupervisorPool(table, {
    create: (spec) => {
      const supervisor = createSupervisor(spec, { mallexHome: home, stopTimeoutMs, onEvent: (event) => events.push(event) });
      processes.supervisors.push(supervisor);
      return supervisor;
    },
  });
  return { table, pool, events, home, dir: tree.dir };
}
