import { join } from "node:path";
import { supervisedSpec } from "../backends/supervisor-pool.js";
import { ESTIMATES, formatGb, type ServerSize } from "../supervisor/memory/server-size.js";
import { memoryBudgetOf } from "../supervisor/memory/table-memory-budget.js";
import { createModelSizes, weightsOnDisk, type ModelSizeDeps } from "../supervisor/memory/model-sizes.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext, DoctorDeps } from "./types.js";

const GB = 1024 ** 3;

interface BudgetedServer {
  /** The tiers (and classifier) whose requests it serves, e.g. "medium/high". */
  label: string;
  profiles: string[];
  size: ServerSize | undefined;
}

/**
 * The memory budget before any model is loaded: the supervised servers' sizes as the budget counts
 * them (model-sizes.ts: measured by an earlier session, else weights on disk ×1.2, else min_ram_gb,
 * else params_b) against memory.budget_gb (else 75% of RAM), and which of them swap.
 */
export function checkMemoryBudget(ctx: DoctorContext, sizeDeps: ModelSizeDeps = doctorModelSizeDeps(ctx.deps)): CheckResult {
  const name = "memory budget";
  if (ctx.options.backendUrl) return { name, ok: "skip", detail: "the server at --backend-url holds the model; mallex starts none" };
  const servers = budgetedServers(ctx, sizeDeps);
  if (servers.length === 0) return { name, ok: "skip", detail: "mallex starts no model server on this machine for this config" };
  if (ctx.table.memory?.budgetGb === undefined && !(ctx.hardware.ramGb > 0))
    return { name, ok: "skip", detail: "could not read this machine's memory, and memory.budget_gb is not set" };
  const { budgetGb, source } = memoryBudgetOf(ctx.table, ctx.hardware.ramGb);
  const budget = budgetGb * GB;
  const head = `budget ${formatGb(budget)} (${source}); ${servers.map(describeSize).join(", ")}`;

  const over = servers.filter((s) => s.size !== undefined && s.size.bytes > budget);
  const tooBig = over.filter((s) => !ESTIMATES.has(s.size!.source));
  if (tooBig.length > 0) {
    return {
      name,
      ok: false,
      detail: `${head}; ${tooBig.map((s) => s.label).join(", ")} ${tooBig.length === 1 ? "is" : "are"} larger than the whole budget and would not start`,
      fix: `raise memory.budget_gb in mallex.yaml if this machine has the room, or use a smaller model or quantization for ${tooBig
        .flatMap((s) => s.profiles)
        .map((p) => `profiles.${p}`)
        .join(", ")}`,
    };
  }
  const swaps = servers.length === 1 ? "" : `; ${describeSwaps(servers, budget)}`;
  const detail = `${head}${swaps}${ctx.table.memory?.together ? "; memory.together keeps only the servers a group lists loaded together" : ""}${describeUnknown(servers)}`;
  if (over.length > 0) {
    return {
      name,
      ok: true,
      warning: true,
      detail: `${detail}; ${over.map((s) => s.label).join(", ")} may need more than the whole budget (${over.map((s) => s.size!.source).join(", ")}) and runs alone until measured`,
      fix: "raise memory.budget_gb if this machine has the room, or use a smaller model",
    };
  }
  return { name, ok: true, detail };
}

/** One entry per server mallex would start (profiles that share a model share its server), with its size. */
function budgetedServers(ctx: DoctorContext, sizeDeps: ModelSizeDeps): BudgetedServer[] {
  const sizes = createModelSizes(sizeDeps);
  const byKey = new Map<string, BudgetedServer & { usedBy: string[] }>();
  // An mlx distributed server is outside the budget: its whole size says nothing of this Mac's share.
  for (const entry of profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise && !p.backend.supervise.distributed)) {
    const { profile } = entry;
    const key = supervisedSpec(profile, entry.backend, {}).key;
    sizes.register(key, {
      model: profile.model,
      ...(profile.minRamGb !== undefined ? { minRamGb: profile.minRamGb } : {}),
      ...(profile.paramsB !== undefined ? { paramsB: profile.paramsB } : {}),
    });
    const server = byKey.get(key) ?? { label: "", profiles: [], usedBy: [], size: undefined };
    server.profiles.push(profile.name);
    server.usedBy.push(...entry.usedBy);
    byKey.set(key, server);
  }
  return [...byKey.entries()].map(([key, s]) => ({ label: s.usedBy.join("/"), profiles: s.profiles, size: sizes.of(key) }));
}

/** What the budget counts: a declared size over the budget is capped to it (it runs alone), an unknown one is 0. */
function counted(server: BudgetedServer, budget: number): number {
  return Math.min(server.size?.bytes ?? 0, budget);
}

/** "low + medium fit together (12 GB); high (38.4 GB) unloads the others when it starts". */
function describeSwaps(servers: ReadonlyArray<BudgetedServer>, budget: number): string {
  const total = servers.reduce((sum, s) => sum + counted(s, budget), 0);
  if (total <= budget) return `all fit loaded together (${formatGb(total)})`;
  // The smallest first: the largest set that stays loaded together, the rest swap in.
  const bySize = [...servers].sort((a, b) => counted(a, budget) - counted(b, budget));
  const together: BudgetedServer[] = [];
  let used = 0;
  for (const server of bySize) {
    if (used + counted(server, budget) > budget) break;
    together.push(server);
    used += counted(server, budget);
  }
  if (together.length <= 1) return `no two fit together: ${servers.map((s) => s.label).join(", ")} load one at a time, each unloading the other`;
  const kept = `${together.map((s) => s.label).join(" + ")} fit together (${formatGb(used)})`;
  return [kept, ...bySize.slice(together.length).map((s) => `${s.label} (${formatGb(counted(s, budget))}) unloads the others when it starts`)].join("; ");
}

function describeSize(server: BudgetedServer): string {
  return server.size ? `${server.label} ${formatGb(server.size.bytes)} (${server.size.source})` : `${server.label} size unknown`;
}

function describeUnknown(servers: ReadonlyArray<BudgetedServer>): string {
  const unknown = servers.filter((s) => s.size === undefined).map((s) => s.label);
  if (unknown.length === 0) return "";
  return `; ${unknown.join(", ")} counted as 0 GB until measured (no weights on disk, no min_ram_gb or params_b)`;
}

/** model-sizes.ts's sources through doctor's file system: the sizes earlier sessions measured, the weights on disk. */
export function doctorModelSizeDeps(deps: DoctorDeps): ModelSizeDeps {
  return {
    measure: async () => undefined, // doctor starts no server
    weightsBytes: (model) => weightsOnDisk(model, deps, deps),
    load: () => {
      const text = deps.readText(join(deps.mallexHome, "model-sizes.json"));
      if (text === undefined) throw new Error("no sizes measured yet");
      return JSON.parse(text) as Record<string, number>;
    },
    save: () => {},
  };
}
