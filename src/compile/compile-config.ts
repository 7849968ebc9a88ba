import { homedir } from "node:os";
import { dirname, relative, resolve } from "node:path";
import { hasErrors, sortDiagnostics, type Diagnostic } from "../config/diagnostics.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import { loadConfig } from "../config/load-config.js";
import { validateSchema, type ConfigValidator } from "../config/validate-schema.js";
import { loadValidator } from "../shared/load-validator.js";
import { checkClaudeModel } from "./check-claude-model.js";
import { checkDistributed } from "./check-distributed.js";
import { checkDraftModel } from "./check-draft-model.js";
import { checkReferences } from "./check-references.js";
import { checkRegexes } from "./check-regexes.js";
import { checkTiers } from "./check-tiers.js";
import { checkToolPolicy } from "./check-tool-policy.js";
import { compileTemplates } from "./compile-templates.js";
import { createConfigView } from "./config-view.js";
import { renderGeneratedFiles } from "./emit-generated.js";
import { computeInputHash, sha256 } from "./input-hash.js";
import { locateRules } from "./locate-rules.js";
import { resolveRoutingTable } from "./resolve-routing-table.js";
import type { RoutingTable } from "./routing-table.js";

export interface CompileConfigOptions {
  configPath: string;
  /** Files merged under configPath, lowest first (find-config.ts). */
  under?: readonly string[];
  /** Folder the generated files are for; source paths in the table are relative to it. */
  outDir: string;
  cwd: string;
  env: EnvLookup;
  packageRoot: string;
  validator: ConfigValidator;
  /** Files whose text is given instead of read, by absolute path (load-config.ts): a change checked before it is written. */
  texts?: ReadonlyMap<string, string>;
}

export interface CompileConfigResult {
  table?: RoutingTable;
  /** File name → content, ready to write into outDir. */
  files?: Record<string, string>;
  /** Every config file read (absolute paths): the entry first, then its includes. */
  configFiles?: string[];
  diagnostics: Diagnostic[];
}

/** The config schema's validator, precompiled by `npm run codegen`. */
export function loadConfigValidator(packageRoot: string): Promise<ConfigValidator> {
  return loadValidator(packageRoot, "validate-config");
}

/** load → validate → check → compile templates → resolve → render. Reads files; writes nothing. */
export function compileConfig(options: CompileConfigOptions): CompileConfigResult {
  const loaded = loadConfig(options.configPath, options);
  if (!loaded.config || hasErrors(loaded.diagnostics)) return { diagnostics: sortDiagnostics(loaded.diagnostics) };
  const config = loaded.config;

  const schemaDiagnostics = validateSchema(config, options.validator);
  if (schemaDiagnostics.length > 0) return { diagnostics: sortDiagnostics([...loaded.diagnostics, ...schemaDiagnostics]) };

  const view = createConfigView(config);
  checkReferences(view);
  checkRegexes(view);
  checkTiers(view);
  checkToolPolicy(view);
  checkDistributed(view);
  checkDraftModel(view);
  checkClaudeModel(view);
  const templates = compileTemplates(view, options.cwd);
  const diagnostics = sortDiagnostics([...loaded.diagnostics, ...view.diagnostics]);
  if (hasErrors(diagnostics)) return { diagnostics };

  const outDir = resolve(options.cwd, options.outDir);
  const rel = (path: string) => relative(outDir, path).split("\\").join("/");
  const sources = [
    ...config.files.map((file) => ({ path: rel(file.path), sha256: sha256(file.content) })),
    ...templates.map((t) => ({ path: rel(t.path), sha256: t.sha256 })),
  ];
  const hash = computeInputHash(
    sources,
    config.envUsed,
    options.env,
    (options.under ?? []).map((layer) => rel(resolve(options.cwd, layer))),
  );
  // Relative to the config's folder: what the user opens, whatever folder mallex compiled it from.
  const configDir = dirname(resolve(options.cwd, options.configPath));
  const shownToPath = new Map(config.files.map((file) => [file.displayPath, relative(configDir, file.path).split("\\").join("/")]));
  const table = {
    ...resolveRoutingTable(view.config, {
      hash,
      sources,
      env: config.envUsed,
      templates: Object.fromEntries(templates.map((t) => [t.name, { source: rel(t.path), sha256: t.sha256 }])),
      pathsOf: (backend) => {
        const declaredIn = view.at(["backends", backend, "supervise", "distributed", "hostfile"]).file;
        const file = config.files.find((f) => f.displayPath === declaredIn);
        return { configDir: file ? dirname(file.path) : configDir, home: homedir() };
      },
    }),
    origins: locateRules(view, (shown) => shownToPath.get(shown) ?? shown),
  };
  return { table, files: renderGeneratedFiles(table, templates), configFiles: config.files.map((file) => file.path), diagnostics };
}
