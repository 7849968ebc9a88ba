import { join } from "node:path";
import { resolveVenvDir } from "../supervisor/bootstrap-venv.js";
import { mlxLmDevice, mlxLmRequirements, mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { planOpenBlasPreload } from "../supervisor/preload-openblas.js";
import { describeHardware } from "../setup/detect-hardware.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/**
 * For each supervised backend in use that runs from a venv: is the venv there with its server program
 * (the command's `{venv}/bin/…`)? mlx-lm backends also need macOS on Apple Silicon, or Linux (mlx's
 * CPU backend), where an "openblas" line says whether its server gets the fast BLAS.
 */
export function checkVenvs(ctx: DoctorContext): CheckResult[] {
  const supervised = new Map(
    profilesInUse(ctx.table)
      .filter((p) => isLocal(p) && p.backend.supervise)
      .map((p) => [p.backendName, p.backend]),
  );
  const label = (backendName: string, flavor: string) => (flavor === "mlx-lm" ? "mlx-lm" : `venv (${backendName})`);
  if (ctx.options.backendUrl) return [{ name: "mlx-lm", ok: "skip", detail: "--backend-url: mallex starts no model server" }];
  const withVenv = [...supervised].filter(([, backend]) => backend.supervise?.venv);
  if (withVenv.length === 0) return [{ name: "mlx-lm", ok: "skip", detail: "no backend in use runs from a Python venv" }];
  const results = withVenv.map(([backendName, backend]) => {
    const name = label(backendName, backend.flavor);
    const supervise = backend.supervise!;
    if (backend.flavor === "mlx-lm" && !mlxLmRunsOn(ctx.hardware)) {
      return {
        name,
        ok: false,
        detail: `mlx-lm needs macOS on Apple Silicon, or Linux; this machine is ${describeHardware(ctx.hardware)}`,
        fix: "serve the model with llama-server or Ollama and pass its URL: mallex doctor --backend-url http://127.0.0.1:8080/v1",
      };
    }
    const dir = resolveVenvDir(ctx.deps.mallexHome, supervise.venv ?? true);
    // What the supervisor would install here: on Linux mlx-lm needs its cpu extra (mlx-lm-platform.ts).
    const requirements = backend.flavor === "mlx-lm" ? mlxLmRequirements(supervise.install, ctx.hardware.platform) : supervise.install;
    const install = requirements.length > 0 ? requirements.map((r) => `'${r}'`).join(" ") : "";
    const fix = `\`mallex run\` creates it on first start; or now: python3 -m venv ${dir} && ${dir}/bin/pip install ${install}`.trimEnd();
    if (!ctx.deps.exists(join(dir, "bin", "python"))) return { name, ok: false, detail: `no venv at ${dir} yet`, fix };
    const program = /^\{venv\}(\/\S+)/.exec(supervise.command)?.[1];
    if (program && !ctx.deps.exists(join(dir, program))) {
      return { name, ok: false, detail: `${dir} lacks ${program.slice(1)} (${install || "its packages"} not installed)`, fix };
    }
    const device = backend.flavor === "mlx-lm" && mlxLmDevice(ctx.hardware) === "cpu" ? " (Linux: mlx's CPU backend, no GPU)" : "";
    return { name, ok: true, detail: `installed in ${dir}${device}` };
  });
  const mlxOnLinux = withVenv.some(([, backend]) => backend.flavor === "mlx-lm") && mlxLmDevice(ctx.hardware) === "cpu";
  return mlxOnLinux ? [...results, checkOpenBlas(ctx)] : results;
}

/** mlx-lm on Linux: the OpenBLAS its server is started with (preload-openblas.ts), or what to install. */
function checkOpenBlas(ctx: DoctorContext): CheckResult {
  const plan = planOpenBlasPreload({ platform: ctx.hardware.platform, arch: ctx.hardware.arch, exists: ctx.deps.exists, ldPreload: ctx.deps.env.LD_PRELOAD });
  if (plan === undefined) return { name: "openblas", ok: "skip", detail: "mlx brings its own BLAS here" };
  if (plan.kind === "missing") {
    return { name: "openblas", ok: true, warning: true, detail: plan.finding, fix: plan.advice };
  }
  return { name: "openblas", ok: true, detail: plan.kind === "preload" ? `mlx_lm.server starts with LD_PRELOAD=${plan.library}` : plan.message };
}
