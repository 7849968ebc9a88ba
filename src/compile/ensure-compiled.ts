import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import type { EnvLookup } from "../config/interpolate-env.js";
import { formatDiagnostic, type Diagnostic } from "../config/diagnostics.js";
import { MallexError } from "../shared/mallex-error.js";
import { ROUTING_TABLE_FILE, TEMPLATES_FILE } from "./emit-generated.js";
import { computeInputHash, sha256 } from "./input-hash.js";
import { ROUTING_TABLE_FORMAT, type RoutingTable } from "./routing-table.js";

export interface EnsureCompiledOptions {
  configPath: string;
  /** Files merged under configPath, lowest first (find-config.ts). */
  under?: readonly string[];
  outDir: string;
  cwd: string;
  env: EnvLookup;
  packageRoot: string;
}

export interface EnsureCompiledResult {
  table: RoutingTable;
  /** Whether this call compiled (false: generated/ was current and was used as it is). */
  compiled: boolean;
  warnings: Diagnostic[];
  /** Set when generated/ could not be updated (e.g. a read-only install): the table is still right. */
  writeError?: string;
}

/**
 * The routing table for a config: generated/ as it is when its input hash still matches the sources
 * and environment it was compiled from, else a fresh compile (written back). Config errors throw.
 */
export async function ensureCompiled(options: EnsureCompiledOptions): Promise<EnsureCompiledResult> {
  const outDir = resolve(options.cwd, options.outDir);
  const layers = (options.under ?? []).map((layer) => relative(outDir, resolve(options.cwd, layer)).split("\\").join("/"));
  const current = readCurrentTable(outDir, resolve(options.cwd, options.configPath), options.env, layers);
  if (current) return { table: current, compiled: false, warnings: [] };

  // The compiler (yaml, the config validator, Handlebars' compiler) is loaded only to compile.
  const [{ compileConfig, loadConfigValidator }, { writeGeneratedFiles }] = await Promise.all([import("./compile-config.js"), import("./write-generated.js")]);
  const validator = await loadConfigValidator(options.packageRoot);
  const result = compileConfig({ ...options, outDir, validator });
  if (!result.table || !result.files) {
    throw new MallexError("E_CONFIG_INVALID", `✗ the config has errors; fix them and start again`, { details: result.diagnostics.map(formatDiagnostic) });
  }
  const compiled: EnsureCompiledResult = { table: result.table, compiled: true, warnings: result.diagnostics };
  const writeError = writeGeneratedFiles(outDir, result.files);
  if (writeError) compiled.writeError = `could not update ${outDir}: ${writeError}`;
  return compiled;
}

function readCurrentTable(outDir: string, configPath: string, env: EnvLookup, layers: readonly string[]): RoutingTable | undefined {
  const path = join(outDir, ROUTING_TABLE_FILE);
  // An older generated/ (templates.js, no templates.mjs) is compiled again, not loaded.
  if (!existsSync(path) || !existsSync(join(outDir, TEMPLATES_FILE))) return undefined;
  try {
    const table = JSON.parse(readFileSync(path, "utf8")) as RoutingTable;
    // Another config in the same folder may have written generated/: the entry file must be this one.
    if (table.format !== ROUTING_TABLE_FORMAT || table.sources[0] === undefined || resolve(outDir, table.sources[0].path) !== configPath) return undefined;
    const sources = table.sources.map((source) => ({ path: source.path, sha256: sha256(readFileSync(join(outDir, source.path), "utf8")) }));
    return computeInputHash(sources, table.env, env, layers) === table.hash ? table : undefined;
  } catch {
    // A missing source or an unreadable table just means: compile again.
    return undefined;
  }
}
