import { existsSync, readFileSync, realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { displayPath } from "./display-path.js";
import { resolveMallexHome } from "../shared/files/mallex-home.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The files one command uses, in layers as c12 merges them: this machine's settings (models,
 * backends, memory: `$MALLEX_HOME/mallex.yaml`) at the bottom, a project's own rules (`./mallex.yaml`)
 * on top. `--config FILE` is that file alone.
 */
export interface ConfigLayers {
  /** The top file: generated/ is written beside it and the compiled table names it first. */
  entry: string;
  /** Files merged under the entry, lowest first. */
  under: string[];
  /** Each file with what it is, lowest first, for the line every command prints. */
  files: Array<{ path: string; role: ConfigRole }>;
}

export type ConfigRole = "given" | "machine" | "project" | "shipped";

const ROLE_WORDS: Record<ConfigRole, string> = {
  given: "--config",
  machine: "this machine's settings",
  project: "this project's rules",
  shipped: "mallex's default",
};

/**
 * The user's own config, `$MALLEX_HOME/mallex.yaml`: what `mallex init` and `mallex run --setup`
 * write, so that a folder's mallex.yaml (a project's rules, or a clone of mallex itself) is never taken for it.
 */
export function userConfigPath(env: Env): string {
  return join(resolveMallexHome(env), "mallex.yaml");
}

/**
 * Where every command finds its config: `--config` alone; else this machine's settings with the
 * project's rules on top; a project's file alone where the machine has no settings of its own (it
 * stands as it did before layers, `include: [mallex]` giving it the default); else the default.
 */
export function findConfigLayers(explicit: string | undefined, cwd: string, packageRoot: string, env: Env = process.env): ConfigLayers {
  if (explicit) return singleConfig(resolve(cwd, explicit));
  const machine = userConfigPath(env);
  const shipped = join(packageRoot, "mallex.yaml");
  const project = join(cwd, "mallex.yaml");
  const isProject = existsSync(project) && !sameFile(project, machine) && !sameFile(project, shipped) && !isCloneOfMallex(cwd);
  const files: ConfigLayers["files"] = [];
  if (existsSync(machine)) files.push({ path: machine, role: "machine" });
  if (isProject) files.push({ path: project, role: "project" });
  return layersOf(files.length > 0 ? files : [{ path: shipped, role: "shipped" }]);
}

/** The one line every command prints: which files it uses, and what each is (paths relative to `cwd`, else absolute). */
export function describeConfigLayers(layers: ConfigLayers, cwd?: string): string {
  const shown = (path: string) => (cwd === undefined ? path : displayPath(path, cwd));
  return `config: ${layers.files.map((file) => `${shown(file.path)} (${ROLE_WORDS[file.role]})`).join(" + ")}`;
}

/** The config `mallex run --setup` uses and, the first time, writes: `--config`, else the user's. */
export function setupConfigPath(explicit: string | undefined, cwd: string, env: Env): string {
  return explicit ? resolve(cwd, explicit) : userConfigPath(env);
}

/** One file alone, as `--config FILE` gives it (or the shipped default where there is nothing else). */
export function singleConfig(path: string, role: ConfigRole = "given"): ConfigLayers {
  return layersOf([{ path, role }]);
}

function layersOf(files: ConfigLayers["files"]): ConfigLayers {
  const top = files[files.length - 1]!;
  return { entry: top.path, under: files.slice(0, -1).map((file) => file.path), files };
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** mallex's own clone (or unpacked package): its mallex.yaml is the shipped default, never a project's rules. */
function isCloneOfMallex(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown }).name === "mallex";
  } catch {
    return false;
  }
}
