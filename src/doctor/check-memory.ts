import { describeHardware } from "../setup/detect-hardware.js";
import { REPORTED_RAM_SLACK } from "../setup/recommend-profile.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/** This machine, and whether it holds the models mallex would start on it. */
export function checkMemory(ctx: DoctorContext): CheckResult {
  const name = "memory";
  const machine = describeHardware(ctx.hardware);
  if (ctx.options.backendUrl) return { name, ok: "skip", detail: `${machine}; the server at --backend-url holds the model` };
  const supervised = profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise && p.profile.minRamGb !== undefined);
  if (supervised.length === 0) return { name, ok: "skip", detail: `${machine}; mallex starts no model server for this config` };
  if (!(ctx.hardware.ramGb > 0)) return { name, ok: "skip", detail: "could not read this machine's memory" };
  const tooBig = supervised.filter((p) => ctx.hardware.ramGb < (p.profile.minRamGb ?? 0) * REPORTED_RAM_SLACK);
  const needs = supervised.map((p) => `${p.profile.name} needs ${p.profile.minRamGb} GB`).join(", ");
  if (tooBig.length === 0) return { name, ok: true, detail: `${machine}; ${needs}` };
  return {
    name,
    ok: false,
    detail: `${machine}; ${tooBig.map((p) => `${p.profile.name} needs ${p.profile.minRamGb} GB`).join(", ")}`,
    fix: "run `mallex init` for a profile that fits, or set the tiers' profile to a smaller one",
  };
}
