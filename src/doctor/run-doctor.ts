import { checkApiKeys } from "./check-api-keys.js";
import { checkBackends } from "./check-backends.js";
import { checkClaudeCode } from "./check-claude-code.js";
import { checkConfig } from "./check-config.js";
import { checkDistributed } from "./check-distributed.js";
import { checkMemory } from "./check-memory.js";
import { checkMemoryBudget } from "./check-memory-budget.js";
import { checkModels } from "./check-models.js";
import { checkPort } from "./check-port.js";
import { checkPython } from "./check-python.js";
import { checkVenvs } from "./check-venv.js";
import type { CheckResult, DoctorContext, DoctorDeps, DoctorOptions } from "./types.js";

export interface DoctorReport {
  /** No check failed (skips and warnings pass). */
  ok: boolean;
  checks: CheckResult[];
  /** The config's diagnostics as `mallex compile` prints them. */
  diagnostics: string[];
}

/** Every check, in the order a user fixes things: config, machine, server, client, keys. */
export async function runDoctor(options: DoctorOptions, deps: DoctorDeps): Promise<DoctorReport> {
  const config = await checkConfig(options.config, deps);
  const checks: CheckResult[] = [config.result];
  const table = config.table;
  if (!table) {
    const reason = "the config does not compile";
    for (const name of ["memory", "memory budget", "python", "mlx-lm", "model", "port", "backend"]) checks.push({ name, ok: "skip", detail: reason });
    checks.push(await checkClaudeCode({ deps }));
    checks.push({ name: "api key", ok: "skip", detail: reason });
    return finish(checks, config.lines);
  }
  const ctx: DoctorContext = { options, deps, table, hardware: await deps.detectHardware() };
  checks.push(checkMemory(ctx), checkMemoryBudget(ctx));
  // Probes that wait on the network or a process run together; the lines keep their fixed order.
  const [python, distributed, models, port, backends, claude] = await Promise.all([
    checkPython(ctx),
    checkDistributed(ctx),
    checkModels(ctx),
    checkPort(ctx),
    checkBackends(ctx),
    checkClaudeCode(ctx),
  ]);
  checks.push(python, ...checkVenvs(ctx), ...distributed, ...models, port, ...backends, claude, ...checkApiKeys(ctx));
  return finish(checks, config.lines);
}

function finish(checks: CheckResult[], diagnostics: string[]): DoctorReport {
  return { ok: checks.every((check) => check.ok !== false), checks, diagnostics };
}

/** `✓ name — detail`, `✗ name — detail (fix: …)`, `- name — detail` for a check that does not apply. */
export function formatCheck(check: CheckResult): string {
  if (check.ok === "skip") return `- ${check.name} — ${check.detail}`;
  // A warning passes (nothing stops mallex) but is not a ✓: what it says may still go wrong.
  if (check.ok && check.warning) return `! ${check.name} — ${check.detail}${check.fix ? ` (${check.fix})` : ""}`;
  if (check.ok) return `✓ ${check.name} — ${check.detail}${check.fix ? ` (${check.fix})` : ""}`;
  return `✗ ${check.name} — ${check.detail}${check.fix ? ` (fix: ${check.fix})` : ""}`;
}
