import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, isAbsolute, join, resolve } from "node:path";

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
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { mallex?: unknown };
  const entry = typeof manifest.mallex === "string" ? manifest.mallex : "mallex.yaml";
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
