import { resolve } from "node:path";
import { displayPath } from "./display-path.js";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { EnvLookup } from "./interpolate-env.js";
import { disableRules, isPlainObject, mergeLayers } from "./merge-layers.js";
import { parseYamlFile } from "./parse-yaml-file.js";
import { readRuleFile, RULE_FILE_MAX_BYTES, type RuleFileRead } from "./read-rule-file.js";
import { resolveInclude } from "./resolve-include.js";
import { originAt, recordOrigin, type Origins, type SourcePosition } from "./source-position.js";

export interface SourceFile {
  path: string;
  displayPath: string;
  content: string;
}

/** A config with its includes merged, not yet validated. */
export interface LoadedConfig {
  value: Record<string, unknown>;
  origins: Origins;
  /** Every file read, once: the entry first, then includes in the order they were first read. */
  files: SourceFile[];
  envUsed: string[];
  entry: SourcePosition;
}

export interface LoadConfigOptions {
  cwd: string;
  env: EnvLookup;
  /** Root of the mallex package, for `include: [mallex]`. */
  packageRoot: string;
  /**
   * Files merged under the entry, lowest first (this machine's settings under a project's rules).
   * They are the entry's first include: its `disable:` reaches their rules, and an include of a file
   * they already read (both writing `include: [mallex]`) is not merged a second time over them.
   */
  under?: readonly string[];
  /**
   * Files whose text is given instead of read, by absolute path: a change to a config checked as
   * `mallex compile` would check it once written, before anything is written (the Models page's tier
   * change). Held to the same size limit as a file read.
   */
  texts?: ReadonlyMap<string, string>;
}

/** Reads a config file and everything it includes (and the layers under it), merged in order (later wins). */
export function loadConfig(entryPath: string, options: LoadConfigOptions): { config?: LoadedConfig; diagnostics: Diagnostic[] } {
  const origins: Origins = new WeakMap();
  const files: SourceFile[] = [];
  const envUsed = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  const entryFile = resolve(options.cwd, entryPath);
  const entry: SourcePosition = { file: displayPath(entryFile, options.cwd), line: 1, col: 1 };

  // Files the layers under the entry read: the entry's includes skip them.
  const belowEntry = new Set<string>();
  const loadFile = (path: string, stack: readonly string[], includedAt?: SourcePosition, below: unknown = {}): unknown => {
    const shown = displayPath(path, options.cwd);
    const given = options.texts?.get(path);
    const read = given === undefined ? readRuleFile(path) : givenText(given);
    if (!read.ok) {
      const at = includedAt ?? { file: shown, line: 1, col: 1 };
      diagnostics.push(
        read.code === "ENOENT"
          ? diagnostic("config-not-found", at, `config file ${shown} ${read.reason}`, "check the path, or run `mallex init` to write one")
          : diagnostic(
              "config-unreadable",
              at,
              `config file ${shown} ${read.reason}`,
              `a config or rule file must be a readable regular YAML file of at most ${RULE_FILE_MAX_BYTES / (1024 * 1024)} MiB`,
            ),
      );
      return undefined;
    }
    const content = read.content;
    if (!files.some((file) => file.path === path)) files.push({ path, displayPath: shown, content });
    const parsed = parseYamlFile(content, { displayPath: shown, env: options.env, origins });
    diagnostics.push(...parsed.diagnostics);
    for (const name of parsed.envUsed) envUsed.add(name);
    if (!isPlainObject(parsed.value)) {
      if (parsed.value !== undefined) {
        diagnostics.push(
          diagnostic(
            "schema-type",
            { file: shown, line: 1, col: 1 },
            "a config file must be a map of settings",
            "start with keys such as profiles: and tiers:",
          ),
        );
      }
      return undefined;
    }
    const own = parsed.value;
    const rootOrigin = (path: (string | number)[]) => originAt(own, origins, path, { file: shown, line: 1, col: 1 });

    let base: unknown = below;
    const include = own.include;
    if (include !== undefined && !(Array.isArray(include) && include.every((s) => typeof s === "string"))) {
      diagnostics.push(
        diagnostic(
          "include-invalid",
          rootOrigin(["include"]).value,
          "include must be a list of file paths or package names",
          'write include: ["./rules/team.yaml"]',
        ),
      );
    } else {
      (include ?? []).forEach((spec: string, index: number) => {
        const at = rootOrigin(["include", index]).value;
        const found = resolveInclude(spec, path, options.packageRoot);
        if (!found.ok) {
          diagnostics.push(diagnostic("include-not-found", at, found.message, found.hint));
          return;
        }
        if (belowEntry.has(found.path)) return;
        if (stack.includes(found.path)) {
          const cycle = [...stack.slice(stack.indexOf(found.path)), found.path].map((p) => displayPath(p, options.cwd));
          diagnostics.push(diagnostic("include-cycle", at, `include cycle: ${cycle.join(" → ")}`, "remove one of these includes"));
          return;
        }
        const layer = loadFile(found.path, [...stack, found.path], at);
        if (layer !== undefined) base = mergeLayers(base, layer, origins);
      });
    }

    const disable = own.disable;
    if (disable !== undefined) {
      if (!(Array.isArray(disable) && disable.every((s) => typeof s === "string"))) {
        diagnostics.push(diagnostic("include-invalid", rootOrigin(["disable"]).value, "disable must be a list of rule ids", "write disable: [some-rule-id]"));
      } else {
        const result = disableRules(base, disable, origins);
        base = result.config;
        for (const id of result.unknown) {
          diagnostics.push(
            diagnostic(
              "disable-unknown-id",
              rootOrigin(["disable", disable.indexOf(id)]).value,
              `disable names "${id}", but no included file defines a rule with that id`,
              "check the id against the included rule files",
            ),
          );
        }
      }
    }

    const { include: _include, disable: _disable, ...rest } = own;
    const ownRest: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      ownRest[key] = value;
      const origin = origins.get(own)?.get(key);
      if (origin) recordOrigin(origins, ownRest, key, origin);
    }
    return mergeLayers(base, ownRest, origins);
  };

  let below: unknown = {};
  for (const layer of options.under ?? []) {
    const layerFile = resolve(options.cwd, layer);
    const value = loadFile(layerFile, [layerFile]);
    if (value !== undefined) below = mergeLayers(below, value, origins);
  }
  for (const file of files) belowEntry.add(file.path);
  const value = loadFile(entryFile, [entryFile], undefined, below);
  if (!isPlainObject(value)) return { diagnostics };
  // The entry first (the compiled table names it first), then every other file in the order it was read.
  const ordered = [...files.filter((file) => file.path === entryFile), ...files.filter((file) => file.path !== entryFile)];
  return { config: { value, origins, files: ordered, envUsed: [...envUsed].sort(), entry }, diagnostics };
}

/** A text given in place of a file, read as the file would be: refused past the same size. */
function givenText(content: string): RuleFileRead {
  const bytes = Buffer.byteLength(content);
  return bytes > RULE_FILE_MAX_BYTES
    ? { ok: false, code: "EFBIG", reason: `would be ${bytes} bytes, over the ${RULE_FILE_MAX_BYTES / (1024 * 1024)} MiB a rule file may hold` }
    : { ok: true, content };
}
