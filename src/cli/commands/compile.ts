import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { stringify } from "yaml";
import { compileConfig, loadConfigValidator } from "../../compile/compile-config.js";
import { includesOutside } from "../../compile/includes-outside.js";
import { writeGeneratedFiles } from "../../compile/write-generated.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { displayPath } from "../../config/display-path.js";
import { loadConfig } from "../../config/load-config.js";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { configArgs } from "../args/common-args.js";
import { describeConfigLayers, findConfigLayers } from "../../config/config-layers.js";
import { printErr, printOut } from "../terminal-text.js";

export default defineCommand({
  meta: { name: "compile", description: "Validate mallex.yaml (and its includes) and compile it into generated/" },
  args: {
    ...configArgs,
    out: { type: "string", alias: "o", description: "Output folder (default: generated/ next to the config)", valueHint: "dir" },
    check: { type: "boolean", description: "Write nothing; fail if the output folder is not up to date" },
    show: { type: "boolean", description: "Print the merged config (this machine's settings with the project's rules on top, includes resolved) as YAML" },
  },
  async run({ args }) {
    const started = performance.now();
    const cwd = process.cwd();
    const packageRoot = findPackageRoot();
    const layers = findConfigLayers(args.config, cwd, packageRoot);
    const configPath = layers.entry;
    const outDir = resolve(cwd, args.out ?? join(dirname(configPath), "generated"));
    const validator = await loadConfigValidator(packageRoot);
    const result = compileConfig({ configPath, under: layers.under, outDir, cwd, env: process.env, packageRoot, validator });
    const lines = result.diagnostics.map(formatDiagnostic);
    if (!result.files || !result.table) {
      const errors = result.diagnostics.filter((d) => d.severity === "error").length;
      throw new MallexError("E_CONFIG_INVALID", `✗ ${displayPath(configPath, cwd)}: ${errors} error${errors === 1 ? "" : "s"}, nothing written`, {
        details: lines,
      });
    }
    for (const line of lines) printErr(line);
    // Allowed, but said: a file outside the config's folder changes what this config does.
    // The layers under the entry were named above; an include outside its folder was not.
    const included = (result.configFiles ?? []).filter((file) => !layers.under.includes(file));
    for (const file of includesOutside(configPath, included, packageRoot)) {
      console.log(`↳ includes ${displayPath(file, cwd)} (outside the folder of ${displayPath(configPath, cwd)})`);
    }
    if (args.show) {
      printErr(describeConfigLayers(layers, cwd));
      // What the layers and includes merge to, as written (before the schema's defaults fill the rest).
      const loaded = loadConfig(configPath, { cwd, env: process.env, packageRoot, under: layers.under });
      printOut(stringify(loaded.config?.value ?? {}, { lineWidth: 0 }));
      return;
    }
    const shownOut = relative(cwd, outDir) === "" ? "." : displayPath(outDir, cwd);
    if (args.check) {
      const stale = Object.entries(result.files).filter(([name, content]) => {
        const path = join(outDir, name);
        return !existsSync(path) || readFileSync(path, "utf8") !== content;
      });
      if (stale.length > 0) {
        throw new MallexError("E_GENERATED_STALE", `✗ ${shownOut}/ is stale (${stale.map(([name]) => name).join(", ")}): run \`mallex compile\``);
      }
      console.log(`✓ ${shownOut}/ is up to date (hash ${result.table.hash.slice(0, 12)})`);
      return;
    }
    const writeError = writeGeneratedFiles(outDir, result.files);
    if (writeError) throw new MallexError("E_OUTPUT_UNWRITABLE", `✗ could not write ${shownOut}/ (${writeError}): choose a folder you can write with --out`);
    const includes = result.table.sources.filter((s) => s.path.endsWith(".yaml") || s.path.endsWith(".yml")).length - layers.files.length;
    const ms = Math.round(performance.now() - started);
    console.log(
      `✓ compiled ${describeConfigLayers(layers, cwd).replace(/^config: /, "")}${includes > 0 ? ` (+${includes} included)` : ""} → ${shownOut}/ in ${ms} ms (hash ${result.table.hash.slice(0, 12)})`,
    );
  },
});
