import { describeHardware } from "../setup/detect-hardware.js";
import { REPORTED_RAM_SLACK } from "../setup/recommend-profile.js";
import { estimateModelMemory, type ModelMemory } from "./estimate-model-memory.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/**
 * This machine, and whether it holds the models mallex would start on it: every supervised server,
 * whatever it runs (estimateModelMemory), not only the profiles that declare min_ram_gb.
 */
export function checkMemory(ctx: DoctorContext): CheckResult {
  const name = "memory";
  const machine = describeHardware(ctx.hardware);
  if (ctx.options.backendUrl) return { name, ok: "skip", detail: `${machine}; the server at --backend-url holds the model` };
  // An mlx distributed model is spread over the hosts of its hostfile: its whole size says nothing of this Mac's share.
  const local = profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise);
  const supervised = local.filter((p) => !p.backend.supervise!.distributed);
  const spread = local.filter((p) => p.backend.supervise!.distributed).map((p) => p.profile.name);
  if (supervised.length === 0 && spread.length > 0)
    return { name, ok: "skip", detail: `${machine}; ${spread.join(", ")} is spread over several Macs (mlx distributed), this one holds only its share` };
  if (supervised.length === 0) return { name, ok: "skip", detail: `${machine}; mallex starts no model server for this config` };
  if (!(ctx.hardware.ramGb > 0)) return { name, ok: "skip", detail: "could not read this machine's memory" };
  const needs = supervised.map((entry) => ({ profile: entry.profile.name, memory: estimateModelMemory(entry, ctx.deps) }));
  const unknown = needs.filter((n) => n.memory === undefined).map((n) => n.profile);
  const unknownNote =
    unknown.length === 0
      ? ""
      : `; cannot tell what ${unknown.join(", ")} need${unknown.length === 1 ? "s" : ""} (no min_ram_gb, and the model is not on disk yet)`;
  const known = needs.flatMap((n) => (n.memory ? [{ profile: n.profile, memory: n.memory }] : []));
  if (known.length === 0) return { name, ok: "skip", detail: `${machine}${unknownNote}` };
  const tooBig = known.filter((n) => ctx.hardware.ramGb < n.memory.gb * REPORTED_RAM_SLACK);
  if (tooBig.length === 0) return { name, ok: true, detail: `${machine}; ${known.map(describeNeed).join(", ")}${unknownNote}` };
  return {
    name,
    ok: false,
    detail: `${machine}; ${tooBig.map(describeNeed).join(", ")}`,
    fix: "run `mallex init` for a profile that fits, or set the tiers' profile to a smaller one",
  };
}

function describeNeed({ profile, memory }: { profile: string; memory: ModelMemory }): string {
  if (memory.source === "declared") return `${profile} needs ${memory.gb} GB`;
  return `${profile} needs ~${memory.gb.toFixed(1)} GB (${memory.diskGb!.toFixed(1)} GB of weights, plus the context)`;
}
