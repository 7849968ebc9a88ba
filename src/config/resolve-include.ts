import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { readRuleFile } from "./read-rule-file.js";

export type IncludeResolution = { ok: true; path: string } | { ok: false; message: string; hint: string };

/**
 * Finds an included rule file. The name `mallex` is this package's shipped default, whatever sits
 * beside the config (a project's own `mallex/` folder must not shadow it; `./mallex` names that). A
 * spec that starts with `.` or `/`, or names an existing file next to the including file, is a path;
 * anything else is an npm package (a team's published rule pack), resolved from the including file's
 * node_modules: its package.json `mallex` field, else its mallex.yaml.
 */
export function resolveInclude(spec: string, fromFile: string, packageRoot: string): IncludeResolution {
  if (spec === "mallex") return { ok: true, path: join(packageRoot, "mallex.yaml") };
  const baseDir = dirname(fromFile);
  const asPath = isAbsolute(spec) ? spec : resolve(baseDir, spec);
  if (spec.startsWith(".") || isAbsolute(spec) || existsSync(asPath)) {
    return existsSync(asPath)
      ? { ok: true, path: asPath }
      : { ok: false, message: `included file "${spec}" does not exist`, hint: "include paths are relative to the file that includes them" };
  }

  const require = createRequire(join(baseDir, "noop.js"));
  const notFound: IncludeResolution = {
    ok: false,
    message: `cannot find rule pack "${spec}": no such file next to this config and no installed package`,
    hint: `install it (npm i -D ${packageName(spec)}); for a file, start the path with ./`,
  };
  if (spec !== packageName(spec)) {
    try {
      return { ok: true, path: require.resolve(spec) };
    } catch {
      return notFound;
    }
  }
  let manifestPath: string;
  try {
    manifestPath = require.resolve(`${spec}/package.json`);
  } catch {
    return notFound;
  }
  const entry = ruleFileOf(manifestPath);
  if (entry === undefined)
    return { ok: false, message: `rule pack "${spec}" has a package.json that is not a readable JSON file`, hint: "reinstall the package" };
  const path = join(dirname(manifestPath), entry);
  return existsSync(path)
    ? { ok: true, path }
    : { ok: false, message: `rule pack "${spec}" has no ${entry}`, hint: `add ${entry} to the package or name its rule file in package.json "mallex"` };
}

/** `@scope/name/sub/file.yaml` → `@scope/name`; `name/file.yaml` → `name`. */
function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? spec);
}

/** The rule file a package.json names in its `mallex` field, else mallex.yaml; undefined when it cannot be read. */
function ruleFileOf(manifestPath: string): string | undefined {
  const read = readRuleFile(manifestPath);
  if (!read.ok) return undefined;
  try {
    const manifest = JSON.parse(read.content) as { mallex?: unknown } | null;
    return typeof manifest?.mallex === "string" ? manifest.mallex : "mallex.yaml";
  } catch {
    return undefined;
  }
}
