import { MIN_PYTHON } from "../supervisor/bootstrap-venv.js";
import { mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/** Python ≥ 3.10, found the way the supervisor finds it when it creates a backend's venv (mlx-lm). */
export async function checkPython(ctx: DoctorContext): Promise<CheckResult> {
  const name = "python";
  if (ctx.options.backendUrl) return { name, ok: "skip", detail: "--backend-url: mallex starts no model server" };
  const venvBackends = [
    ...new Set(
      profilesInUse(ctx.table)
        .filter((p) => isLocal(p) && p.backend.supervise?.venv)
        .map((p) => p.backendName),
    ),
  ];
  if (venvBackends.length === 0) return { name, ok: "skip", detail: "no backend in use runs from a Python venv" };
  const runnable = venvBackends.filter((backend) => ctx.table.backends[backend]?.flavor !== "mlx-lm" || mlxLmRunsOn(ctx.hardware));
  if (runnable.length === 0) return { name, ok: "skip", detail: "only for mlx-lm's venv, and mlx-lm cannot run on this machine (see mlx-lm)" };
  const need = MIN_PYTHON.join(".");
  const lookup = await ctx.deps.findPython();
  if (lookup.found) return { name, ok: true, detail: `${lookup.found.command} ${lookup.found.version} (for the venv of ${runnable.join(", ")})` };
  const fix = `install Python ${need} or newer: \`brew install python@3.12\` on macOS, or from python.org`;
  const old = lookup.tooOld.map((p) => `${p.command} is ${p.version}`).join(", ");
  return { name, ok: false, detail: `${old ? `${old}; ` : "no python3 on PATH; "}the venv of ${runnable.join(", ")} needs ${need} or newer`, fix };
}
