import { createHash } from "node:crypto";
import { realpathSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { compileConfig } from "../../compile/compile-config.js";
import type { RoutingTable } from "../../compile/routing-table.js";
import type { ConfigRole } from "../../config/config-layers.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import type { EnvLookup } from "../../config/interpolate-env.js";
import { readRuleFile } from "../../config/read-rule-file.js";
import type { ConfigValidator } from "../../config/validate-schema.js";
import { refuse, type ActionResult } from "./action-result.js";

/**
 * The config a Models page action changes, as the running mallex found it (config-layers.ts): the
 * top file, which is the user's own — the project's ./mallex.yaml, else $MALLEX_HOME/mallex.yaml, or
 * `--config`'s — compiled with the files under it exactly as `mallex compile` compiles them.
 */
export interface UserConfig {
  file: string;
  role: ConfigRole;
  /** The layers under it, lowest first. */
  under: readonly string[];
  cwd: string;
  env: EnvLookup;
  packageRoot: string;
  validator: ConfigValidator;
}

/** The file as it is now, and the hash a plan carries so that its apply can tell it was not edited since. */
export interface ConfigText {
  /** Where it is written: a link's target (a mallex.yaml kept among the user's dotfiles stays a link). */
  path: string;
  text: string;
  hash: string;
}

/** The user's file to change; refused for mallex's own default and for a file that cannot be read. */
export function readUserConfig(config: UserConfig): ActionResult<ConfigText> {
  if (config.role === "shipped")
    return refuse(
      409,
      `this mallex runs mallex's own default config (${config.file}), which is not yours to change: run \`mallex init\` to write your own ($MALLEX_HOME/mallex.yaml), restart mallex, then change its tiers here`,
    );
  let path: string;
  try {
    path = realpathSync(resolve(config.cwd, config.file));
  } catch {
    return refuse(409, `${config.file} is not there any more: run \`mallex init\` to write it again`);
  }
  const read = readRuleFile(path);
  if (!read.ok) return refuse(409, `${config.file} ${read.reason}`);
  return { ok: true, value: { path, text: read.content, hash: hashText(read.content) } };
}

export function hashText(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The config compiled as `mallex compile` compiles it (the same compileConfig, layers and folder),
 * with `text` in place of the file's when given; the errors as `file:line:col` lines otherwise.
 */
export function compileUserConfig(config: UserConfig, text?: string): { ok: true; table: RoutingTable } | { ok: false; errors: string[] } {
  const entry = resolve(config.cwd, config.file);
  const result = compileConfig({
    configPath: entry,
    under: config.under,
    outDir: join(dirname(entry), "generated"),
    cwd: config.cwd,
    env: config.env,
    packageRoot: config.packageRoot,
    validator: config.validator,
    ...(text === undefined ? {} : { texts: new Map([[entry, text]]) }),
  });
  if (result.table) return { ok: true, table: result.table };
  return { ok: false, errors: result.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic) };
}
