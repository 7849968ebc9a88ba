import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { defineCommand } from "citty";
import { compileConfig, loadConfigValidator } from "../../compile/compile-config.js";
import { includesOutside } from "../../compile/includes-outside.js";
import { writeGeneratedFiles } from "../../compile/write-generated.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { displayPath } from "../../config/load-config.js";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { configArgs } from "../common-args.js";
import { findConfig } from "../find-config.js";
import { printErr } from "../terminal-text.js";

export default defineCommand({
  meta: { name: "compile", description: "Validate mallex.yaml (and its includes) and compile it into generated/" },
  args: {
    ...configArgs,
    out: { type: "string", alias: "o", description: "Output folder (default: generated/ next to the config)", valueHint: "dir" },
    check: { type: "boolean", description: "Write nothing; fail if the output folder is not up to date" },
  },
  async run({ args }) {
    const started = performance.now();
    const cwd = process.cwd();
    const packageRoot = findPackageRoot();
    const configPath = findConfig(args.config, cwd, packageRoot);
    const outDir = resolve(cwd, args.out ?? join(dirname(configPath), "generated"));
    const validator = await loadConfigValidator(packageRoot);
    const result = compileConfig({ configPath, outDir, cwd, env: process.env, packageRoot, validator });
    const lines = result.diagnostics.map(formatDiagnostic);
    if (!result.files || !result.table) {
      const errors = result.diagnostics.filter((d) => d.severity === "error").length;
      throw new MallexError("E_CONFIG_INVALID", `✗ ${displayPath(configPath, cwd)}: ${errors} error${errors === 1 ? "" : "s"}, nothing written`, {
        details: lines,
      });
    }
    for (const line of lines) printErr(line);
    // Allowed, but said: a file outside the config's folder changes what this config does.
    for (const file of includesOutside(configPath, result.configFiles ?? [], packageRoot)) {
      console.log(`↳ includes ${displayPath(file, cwd)} (outside the folder of ${displayPath(configPath, cwd)})`);
    }
    const shownOut = relative(cwd, outDir) || ".";
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
    const includes = result.table.sources.filter((s) => s.path.endsWith(".yaml") || s.path.endsWith(".yml")).length - 1;
    const ms = Math.round(performance.now() - started);
    console.log(
      `✓ compiled ${displayPath(configPath, cwd)}${includes > 0 ? ` (+${includes} included)` : ""} → ${shownOut}/ in ${ms} ms (hash ${result.table.hash.slice(0, 12)})`,
    );
  },
});
