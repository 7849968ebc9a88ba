import { join } from "node:path";
import { resolveVenvDir } from "../supervisor/bootstrap-venv.js";
import { describeHardware } from "../setup/detect-hardware.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/**
 * For each supervised backend in use that runs from a venv: is the venv there with its server program
 * (the command's `{venv}/bin/…`)? mlx-lm backends also need macOS on Apple Silicon.
 */
export function checkVenvs(ctx: DoctorContext): CheckResult[] {
  const supervised = new Map(profilesInUse(ctx.table).filter((p) => isLocal(p) && p.backend.supervise).map((p) => [p.backendName, p.backend]));
  const label = (backendName: string, flavor: string) => (flavor === "mlx-lm" ? "mlx-lm" : `venv (${backendName})`);
  if (ctx.options.backendUrl) return [{ name: "mlx-lm", ok: "skip", detail: "--backend-url: mallex starts no model server" }];
  const withVenv = [...supervised].filter(([, backend]) => backend.supervise?.venv);
  if (withVenv.length === 0) return [{ name: "mlx-lm", ok: "skip", detail: "no backend in use runs from a Python venv" }];
  return withVenv.map(([backendName, backend]) => {
    const name = label(backendName, backend.flavor);
    const supervise = backend.supervise!;
    if (backend.flavor === "mlx-lm" && !ctx.hardware.appleSilicon) {
      return {
        name,
        ok: false,
        detail: `mlx-lm needs macOS on Apple Silicon; this machine is ${describeHardware(ctx.hardware)}`,
        fix: "serve the model with llama-server or Ollama and pass its URL: mallex doctor --backend-url http://127.0.0.1:8080/v1",
      };
    }
    const dir = resolveVenvDir(ctx.deps.mallexHome, supervise.venv ?? true);
    const install = supervise.install.length > 0 ? supervise.install.map((r) => `'${r}'`).join(" ") : "";
    const fix = `\`mallex run\` creates it on first start; or now: python3 -m venv ${dir} && ${dir}/bin/pip install ${install}`.trimEnd();
    if (!ctx.deps.exists(join(dir, "bin", "python"))) return { name, ok: false, detail: `no venv at ${dir} yet`, fix };
    const program = /^\{venv\}(\/\S+)/.exec(supervise.command)?.[1];
    if (program && !ctx.deps.exists(join(dir, program))) {
      return { name, ok: false, detail: `${dir} lacks ${program.slice(1)} (${install || "its packages"} not installed)`, fix };
    }
    return { name, ok: true, detail: `installed in ${dir}` };
  });
}
