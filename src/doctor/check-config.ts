import { dirname, join } from "node:path";
import { compileConfig, loadConfigValidator } from "../compile/compile-config.js";
import type { RoutingTable } from "../compile/routing-table.js";
import { formatDiagnostic } from "../config/diagnostics.js";
import { describeConfigLayers, type ConfigLayers } from "../config/config-layers.js";
import { displayPath } from "../config/display-path.js";
import type { CheckResult, DoctorDeps } from "./types.js";

/** Compiles the config in memory (doctor writes nothing) and hands the table to the other checks. */
export async function checkConfig(config: ConfigLayers, deps: DoctorDeps): Promise<{ result: CheckResult; table?: RoutingTable; lines: string[] }> {
  const configPath = config.entry;
  const shown = displayPath(configPath, deps.cwd);
  const shipped = config.files[0]!.role === "shipped";
  const validator = await loadConfigValidator(deps.packageRoot);
  const compiled = compileConfig({
    configPath,
    under: config.under,
    outDir: join(dirname(configPath), "generated"),
    cwd: deps.cwd,
    env: deps.env,
    packageRoot: deps.packageRoot,
    validator,
  });
  const lines = compiled.diagnostics.map(formatDiagnostic);
  const errors = compiled.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = compiled.diagnostics.length - errors;
  const counts = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`;
  if (!compiled.table) {
    const missing = compiled.diagnostics.some((d) => d.code === "config-not-found" && d.position.file === shown);
    return {
      result: missing
        ? { name: "config", ok: false, detail: `${shown} does not exist`, fix: "run `mallex init` to write one, or pass --config" }
        : {
            name: "config",
            ok: false,
            detail: `${shown} does not compile (${counts})`,
            fix: `run \`mallex compile --config ${shown}\` to see each error with its hint`,
          },
      lines,
    };
  }
  const which = describeConfigLayers(config, deps.cwd).replace(/^config: /, "");
  const result: CheckResult = { name: "config", ok: true, detail: `${which} compiles (${counts})` };
  if (shipped)
    Object.assign(result, {
      warning: true,
      fix: `run \`mallex init\` to write this machine's settings (models, backends) into ${displayPath(join(deps.mallexHome, "mallex.yaml"), deps.cwd)}`,
    });
  return { result, table: compiled.table, lines };
}
