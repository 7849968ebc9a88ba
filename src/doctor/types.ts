import type { ConfigLayers } from "../config/config-layers.js";
import type { DiscoverServerFacts } from "../backends/server-facts.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import type { Hardware } from "../setup/detect-hardware.js";
import type { RunCommand } from "../setup/run-command.js";
import type { PythonLookup } from "../supervisor/bootstrap-venv.js";

/** One line of `mallex doctor`. */
export interface CheckResult {
  name: string;
  /** "skip": the check does not apply to this config (said why in detail). */
  ok: boolean | "skip";
  detail: string;
  /** What to do about a failure (or a warning). */
  fix?: string;
  /** Passing, but something the user may want to change (e.g. a Claude tier falling back locally). */
  warning?: true;
}

/** Everything doctor reads from the machine, injected so that tests are deterministic. */
export interface DoctorDeps {
  cwd: string;
  env: EnvLookup;
  packageRoot: string;
  homedir: string;
  mallexHome: string;
  detectHardware: () => Promise<Hardware>;
  run: RunCommand;
  /** The first Python ≥ 3.10 on PATH, as the supervisor looks for it. */
  findPython: () => Promise<PythonLookup>;
  /** Claude Code's executable as `mallex run` finds it; undefined when it would fall back to npx. */
  findClaude: () => string | undefined;
  fetch: typeof globalThis.fetch;
  /** true, or why the port cannot be listened on (e.g. "EADDRINUSE"). */
  checkPort: (host: string, port: number) => Promise<true | string>;
  exists: (path: string) => boolean;
  /** A file's size in bytes; undefined when it is no file (missing, a folder). */
  fileSize: (path: string) => number | undefined;
  /** A text file's content; undefined when it cannot be read (missing, a folder). */
  readText: (path: string) => string | undefined;
  /** Entries of a folder; [] when it cannot be read. */
  readdir: (path: string) => string[];
  now: () => number;
  /** The mallex processes running on this MALLEX_HOME (supervisor/processes/proxy-records.ts), to name the one on a taken port; absent: none known. */
  runningProxies?: () => { url: string; pid: number }[];
  /** Reads a running server's facts (server-facts.ts), for the capacity check; absent: its defaults are shown. */
  discoverFacts?: DiscoverServerFacts;
}

export interface DoctorOptions {
  /** The config's files (findConfigLayers). */
  config: ConfigLayers;
  /** `--backend-url`: every local profile goes to this running server; nothing is supervised. */
  backendUrl?: string;
  /** Every `--backend-url` when it was given more than once (a pool): each server is probed. */
  backendUrls?: string[];
  /** Per probe request; generation gets `generateTimeoutMs`. */
  requestTimeoutMs?: number;
  generateTimeoutMs?: number;
}

/** What the checks after "config" share. */
export interface DoctorContext {
  options: DoctorOptions;
  deps: DoctorDeps;
  hardware: Hardware;
  table: RoutingTable;
}
