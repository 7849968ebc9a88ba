import { randomUUID } from "node:crypto";
import { existsSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { pathToFileURL } from "node:url";
import type { TierName } from "../../generated/config.js";
import { compileConfig, loadConfigValidator } from "../compile/compile-config.js";
import type { RoutingTable } from "../compile/routing-table.js";
import { formatDiagnostic } from "../config/diagnostics.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import { userConfigPath } from "../config/config-layers.js";
import { displayPath } from "../config/display-path.js";
import { suggestName } from "../config/suggest-name.js";
import { MallexError } from "../shared/mallex-error.js";
import { resolveMallexHome } from "../shared/files/mallex-home.js";
import { makeFolderFor } from "../shared/files/private-files.js";
import { MIN_PYTHON, type PythonLookup } from "../supervisor/bootstrap-venv.js";
import { mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { askApiKeyEnv, askClaudeTiers, askProfile } from "./ask-choices.js";
import { MLX_FLAVOR, chooseLocalBackend, type LocalBackendChoice } from "./choose-local-backend.js";
import type { Ask } from "./create-prompt.js";
import { describeMachine, engineThreads } from "./describe-machine.js";
import { describeHardware, type Hardware } from "./detect-hardware.js";
import { formatModelTable } from "./format-model-table.js";
import { appleChipBandwidth } from "./known-bandwidth.js";
import type { BandwidthProbe } from "./measure-memory-bandwidth.js";
import { mallexCommand } from "./mallex-command.js";
import { describeExpectation } from "./model-expectations.js";
import { parseTierList } from "./plan-tiers.js";
import { ASSUMED_LINK_MBPS, recommendForMachine } from "./recommend-for-machine.js";
import { fitsInRam, listLocalProfiles, type LocalProfile } from "./recommend-profile.js";
import { DEFAULT_API_KEY_ENV, SUGGESTED_LLAMA_URL, renderConfig } from "./render-config.js";

export interface InitOptions {
  /** Accept the recommendation; ask nothing. */
  yes?: boolean;
  /** A local profile name instead of the recommended one. */
  model?: string;
  /** Tiers that go to Claude, e.g. "high,medium"; "none" or "" for none. */
  tiers?: string;
  /** Where to write (default ./mallex.yaml). */
  out?: string;
  force?: boolean;
  /** Variable holding the Anthropic key (default ANTHROPIC_API_KEY). */
  apiKeyEnv?: string;
  /** The local backend to use ("mlx", "embedded"); default: mlx on Apple Silicon with Python, else embedded. */
  backend?: string;
  /**
   * `mallex run --setup`: the caller goes on to run the config at once, so no "Next:" is printed (a
   * list of what it is already doing); `next` still holds the commands, for when it cannot go on.
   */
  goesOn?: boolean;
}

export interface InitDeps {
  cwd: string;
  env: EnvLookup;
  packageRoot: string;
  detectHardware: () => Promise<Hardware>;
  /**
   * Reads main memory's bandwidth with this many CPU threads (the engine's) for the speed estimates;
   * absent, or undefined back: estimated from the core count instead, and said so.
   */
  measureBandwidth?: (threads: number) => Promise<BandwidthProbe | undefined>;
  /** Python 3.10+ for mlx-lm's venv, found as the supervisor finds it; asked only on Apple Silicon. */
  findPython: () => Promise<PythonLookup>;
  /** Absent: non-interactive (no TTY, or --yes); every choice takes its default. */
  ask?: Ask;
  print: (line: string) => void;
}

export interface InitResult {
  path: string;
  hardware: Hardware;
  profile: LocalProfile;
  /** The local backend the tiers use, and why. */
  backend: LocalBackendChoice;
  tiersToClaude: TierName[];
  apiKeyEnv: string;
  /** What to run next, one command a line (the CLI prints them; `mallex run --setup` may run them). */
  next: string[];
  /** Set when the local model needs a server started by hand (mlx-lm profile off Apple Silicon). */
  backendUrl?: string;
}

/**
 * detect (and measure the memory bandwidth) → choose the model server (mlx-lm or the embedded engine)
 * → recommend by RAM and speed, shown as a table → ask (or take flags) → render → validate → write.
 * Writes nothing on any error.
 */
export async function runInit(options: InitOptions, deps: InitDeps): Promise<InitResult> {
  // This machine's settings, where every command finds them (config-layers.ts); a project's rules are another file.
  const path = options.out === undefined ? userConfigPath(deps.env) : resolve(deps.cwd, options.out);
  const shown = displayPath(path, deps.cwd);
  if (existsSync(path) && !options.force) {
    throw new MallexError("E_USAGE", `${shown} already exists; pass --force to overwrite it, or --out to write another file.`);
  }
  const tierFlag = options.tiers === undefined ? undefined : parseTierList(options.tiers);
  if (tierFlag && tierFlag.unknown.length > 0) {
    throw new MallexError(
      "E_USAGE",
      `--tiers names ${tierFlag.unknown.map((t) => `"${t}"`).join(", ")}; tiers are low, medium and high (comma-separated), or none.`,
      { exitCode: 2 },
    );
  }
  if (options.apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(options.apiKeyEnv)) {
    throw new MallexError("E_USAGE", `--api-key-env must name an environment variable (like ANTHROPIC_API_KEY), not hold the key.`, { exitCode: 2 });
  }

  const table = await compileShippedDefault(deps);
  const allProfiles = listLocalProfiles(table);
  const named = options.model === undefined ? undefined : pickNamedProfile(options.model, allProfiles, table);
  const hardware = await deps.detectHardware();
  // The platform first: which server runs the model decides which profiles are candidates.
  const requested = options.backend ?? named?.backend;
  if (options.backend !== undefined && named !== undefined && named.backend !== options.backend) {
    throw new MallexError("E_USAGE", `--model ${named.name} runs on the ${named.backend} backend, not ${options.backend}; leave out one of the two.`, {
      exitCode: 2,
    });
  }
  const python = hardware.appleSilicon ? await deps.findPython() : undefined;
  const chosen = chooseLocalBackend(allProfiles, { hardware, ...(python ? { python } : {}), ...(requested !== undefined ? { requested } : {}) });
  const backend = named !== undefined && options.backend === undefined ? { ...chosen, reason: `--model ${named.name} → ${named.backend}` } : chosen;
  const profiles = allProfiles.filter((p) => p.backend === backend.backend);
  // An Apple chip's published bandwidth decides there; everywhere else the CPU's, measured as the engine's threads read.
  const knownChip = hardware.appleSilicon && appleChipBandwidth(hardware.chip) !== undefined;
  const probe = deps.measureBandwidth && !knownChip ? await deps.measureBandwidth(engineThreads(hardware.cpuCores) ?? 1) : undefined;
  const machine = describeMachine(hardware, probe);
  const recommendation = recommendForMachine(profiles, machine, { appleSilicon: hardware.appleSilicon, platform: hardware.platform });
  deps.print(`This machine: ${describeHardware(hardware)}`);
  deps.print(`Model server: ${backend.reason}`);
  deps.print("");
  const tableLines = formatModelTable({
    rows: recommendation.rows,
    recommended: recommendation.profile.name,
    machine,
    linkMbps: ASSUMED_LINK_MBPS,
    ...(probe ? { probeMs: probe.ms } : {}),
  });
  for (const line of tableLines) deps.print(`  ${line}`);
  deps.print("");
  deps.print(`Recommended: ${recommendation.reason}`);
  for (const warning of recommendation.warnings) deps.print(`  ! ${warning}`);
  if (backend.flavor === MLX_FLAVOR && hardware.appleSilicon && python && !python.found) {
    deps.print(
      `  ! mlx-lm needs Python ${MIN_PYTHON.join(".")} or newer to create its venv, and none is on PATH: install one (\`brew install python@3.12\`) before \`mallex run\``,
    );
  }

  const ask = options.yes ? undefined : deps.ask;
  let profile = recommendation.profile;
  if (named !== undefined) profile = named;
  else if (ask) profile = await askProfile(ask, deps.print, profiles, recommendation.profile, hardware.ramGb);
  if (hardware.ramGb > 0 && !fitsInRam(profile, hardware.ramGb)) {
    deps.print(`  ! ${profile.name} needs ${profile.minRamGb} GB and this machine has ${Math.round(hardware.ramGb)} GB: expect swapping and slow answers`);
  }
  for (const line of describeExpectation(profile, recommendation.rows, mallexCommand(deps))) deps.print(line);

  const tiersToClaude = tierFlag ? tierFlag.tiers : ask ? await askClaudeTiers(ask, deps.print) : [];
  let apiKeyEnv = options.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  if (tiersToClaude.length > 0) {
    if (!deps.env[apiKeyEnv] && ask && options.apiKeyEnv === undefined) apiKeyEnv = await askApiKeyEnv(ask, deps.print, apiKeyEnv);
    deps.print(
      deps.env[apiKeyEnv]
        ? `✓ ${apiKeyEnv} is set; mallex reads it when it starts (it is not written to the config).`
        : `! ${apiKeyEnv} is not set: add \`export ${apiKeyEnv}=sk-ant-…\` to your shell profile; until then the Claude tiers fall back to local ones where they can.`,
    );
  }

  const claudeProfile = claudeProfileOf(table);
  const schemaUrl = relativeUrl(dirname(path), join(deps.packageRoot, "schema", "mallex.schema.json"));
  const text = renderConfig({
    profile,
    tiersToClaude,
    apiKeyEnv,
    hardware,
    reason:
      profile.name === recommendation.profile.name
        ? recommendation.reason
        : `${profile.name} chosen (needs ${profile.minRamGb} GB); recommended was ${recommendation.reason}`,
    alternatives: profiles.filter((p) => p.backend === profile.backend),
    ...(claudeProfile ? { claudeProfile } : {}),
    inheritedFallbacks: inheritedFallbacks(table),
    schemaUrl,
  });
  await writeValidated(path, text, deps);

  const result: InitResult = { path, hardware, profile, backend, tiersToClaude, apiKeyEnv, next: [] };
  const config = path === userConfigPath(deps.env) ? "" : ` --config ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`;
  // Commands that run as printed: from a clone there is no `mallex` on PATH.
  const mallex = mallexCommand(deps);
  if (profile.flavor === "mlx-lm" && !mlxLmRunsOn(hardware)) {
    result.backendUrl = SUGGESTED_LLAMA_URL;
    result.next = [
      `llama-server -m <a GGUF of ${profile.description ?? profile.model}> --jinja -c 32768 --port 8080`,
      `${mallex} doctor${config} --backend-url ${SUGGESTED_LLAMA_URL}`,
      `${mallex} run${config} --backend-url ${SUGGESTED_LLAMA_URL}`,
    ];
  } else {
    result.next = [`${mallex} doctor${config}`, `${mallex} run${config}`];
  }
  deps.print(`✓ wrote ${shown} (it compiles)`);
  if (!options.goesOn) printNext(result.next, deps.print);
  return result;
}

/** "Next:" and the commands to run, one a line. */
export function printNext(next: readonly string[], print: (line: string) => void): void {
  print("Next:");
  for (const line of next) print(`  ${line}`);
}

/** The profiles and tiers the written file inherits through `include: [mallex]`. */
async function compileShippedDefault(deps: InitDeps): Promise<RoutingTable> {
  const configPath = join(deps.packageRoot, "mallex.yaml");
  const validator = await loadConfigValidator(deps.packageRoot);
  const result = compileConfig({
    configPath,
    outDir: join(deps.packageRoot, "generated"),
    cwd: deps.cwd,
    env: deps.env,
    packageRoot: deps.packageRoot,
    validator,
  });
  if (!result.table) {
    throw new MallexError("E_CONFIG_INVALID", `mallex's shipped default ${configPath} does not compile; reinstall mallex.`, {
      details: result.diagnostics.map(formatDiagnostic),
    });
  }
  return result.table;
}

function pickNamedProfile(name: string, profiles: readonly LocalProfile[], table: RoutingTable): LocalProfile {
  const found = profiles.find((p) => p.name === name);
  if (found) return found;
  const list = profiles.map((p) => p.name).join(", ");
  if (table.profiles[name]) {
    throw new MallexError("E_USAGE", `--model ${name} does not run on this machine; local profiles are ${list} (send tiers to Claude with --tiers).`, {
      exitCode: 2,
    });
  }
  const close = suggestName(
    name,
    profiles.map((p) => p.name),
  );
  throw new MallexError(
    "E_USAGE",
    `--model ${name} is not a profile of the shipped default${close ? ` (did you mean ${close}?)` : ""}; choose one of ${list}.`,
    { exitCode: 2 },
  );
}

function claudeProfileOf(table: RoutingTable): string | undefined {
  const high = table.tiers.high?.profile;
  const isClaude = (name: string | undefined) => name !== undefined && table.backends[table.profiles[name]?.backend ?? ""]?.kind === "anthropic";
  if (isClaude(high)) return high;
  return Object.values(table.profiles).find((p) => isClaude(p.name))?.name;
}

function inheritedFallbacks(table: RoutingTable): Partial<Record<TierName, TierName>> {
  const out: Partial<Record<TierName, TierName>> = {};
  for (const [tier, entry] of Object.entries(table.tiers) as Array<[TierName, { fallback?: TierName } | undefined]>) {
    if (entry?.fallback) out[tier] = entry.fallback;
  }
  return out;
}

/**
 * Compiles the new text from a temporary file next to the target (includes resolve the same way),
 * then renames it into place: a file that would not compile is never left behind.
 */
async function writeValidated(path: string, text: string, deps: InitDeps): Promise<void> {
  const temp = join(dirname(path), `.${randomUUID().slice(0, 8)}.mallex-init.yaml`);
  try {
    makeFolderFor(dirname(path), resolveMallexHome(deps.env));
    writeFileSync(temp, text, { flag: "wx" });
  } catch (error) {
    throw new MallexError("E_USAGE", `cannot write ${displayPath(path, deps.cwd)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const validator = await loadConfigValidator(deps.packageRoot);
    const result = compileConfig({
      configPath: temp,
      outDir: join(dirname(path), "generated"),
      cwd: deps.cwd,
      env: deps.env,
      packageRoot: deps.packageRoot,
      validator,
    });
    if (!result.table) {
      throw new MallexError("E_CONFIG_INVALID", `the config mallex init wrote does not compile (a bug in mallex, please report it); nothing was written.`, {
        details: result.diagnostics.map(formatDiagnostic),
      });
    }
    renameSync(temp, path);
  } finally {
    rmSync(temp, { force: true });
  }
}

/** A $schema reference relative to the written file, in URL form on every OS. */
function relativeUrl(fromDir: string, to: string): string {
  const native = relative(fromDir, to);
  // Another drive on Windows: no relative path exists.
  if (isAbsolute(native)) return pathToFileURL(to).href;
  const rel = native.split(sep).join("/");
  return rel.startsWith(".") || rel.startsWith("/") ? rel : `./${rel}`;
}
