/**
 * First use of a backend that runs from a venv (mlx-lm.server): find Python 3.10+, create the venv
 * under MALLEX_HOME, pip-install the requirements, with a progress event per step. Skipped when a
 * marker file in the venv says these exact requirements are already installed.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { execa as defaultExeca } from "execa";
import { runInOwnGroup } from "../shared/run-in-own-group.js";
import { SupervisorError } from "./supervisor-error.js";
import { MAX_SERVER_LINE_CHARS } from "./server-line-limit.js";

export const MIN_PYTHON: readonly [number, number] = [3, 10];
const PYTHON_CANDIDATES = ["python3.13", "python3.12", "python3.11", "python3.10", "python3", "python"];
const MARKER = ".mallex-install.json";

export interface PythonFound {
  command: string;
  version: string;
}

export interface PythonLookup {
  /** The first Python >= 3.10, if any. */
  found?: PythonFound;
  /** Pythons that exist but are too old, for the error message. */
  tooOld: PythonFound[];
}

export interface BootstrapDeps {
  execa: typeof defaultExeca;
  findPython(): Promise<PythonLookup>;
}

export interface BootstrapOptions {
  venvDir: string;
  requirements: readonly string[];
  onEvent(event: { type: "installing"; message: string }): void;
  signal?: AbortSignal;
  deps?: Partial<BootstrapDeps>;
}

/** `venv: true` → MALLEX_HOME/venv; a relative name lives under MALLEX_HOME; an absolute path is used as is. */
export function resolveVenvDir(mallexHome: string, venv: boolean | string): string {
  if (venv === true || venv === "") return join(mallexHome, "venv");
  return isAbsolute(String(venv)) ? String(venv) : join(mallexHome, String(venv));
}

export async function bootstrapVenv(options: BootstrapOptions): Promise<{ python: string; changed: boolean }> {
  const execa = options.deps?.execa ?? defaultExeca;
  const findPython = options.deps?.findPython ?? (() => lookupPython());
  const python = join(options.venvDir, "bin", "python");
  const marker = join(options.venvDir, MARKER);
  const wanted = JSON.stringify([...options.requirements]);
  const recorded = readMarker(marker);
  // A venv mallex did not make (no marker: one named by its absolute path) with nothing to install is used as it is, and nothing is written into it.
  if (existsSync(python) && (recorded === wanted || (recorded === undefined && options.requirements.length === 0))) return { python, changed: false };

  if (!existsSync(python)) {
    const lookup = await findPython();
    if (!lookup.found) throw new SupervisorError("E_SERVER_INSTALL", missingPythonSentence(lookup.tooOld));
    options.onEvent({ type: "installing", message: `creating a Python venv in ${options.venvDir} (${lookup.found.command}, Python ${lookup.found.version})` });
    const withoutPip = options.requirements.length === 0 ? ["--without-pip"] : [];
    const created = await execa(lookup.found.command, ["-m", "venv", ...withoutPip, options.venvDir], {
      reject: false,
      all: true,
      stdin: "ignore",
      cancelSignal: options.signal,
    });
    if (created.failed) {
      throw new SupervisorError(
        "E_SERVER_INSTALL",
        `Could not create a Python venv in ${options.venvDir}: ${lastLine(created.all) ?? created.shortMessage}. On Debian/Ubuntu install python3-venv; or delete the folder and try again.`,
      );
    }
  }

  if (options.requirements.length > 0) {
    if (!existsSync(join(options.venvDir, "bin", "pip"))) {
      // Created earlier with no requirements (--without-pip).
      const ensured = await execa(python, ["-m", "ensurepip", "--upgrade"], { reject: false, all: true, stdin: "ignore", cancelSignal: options.signal });
      if (ensured.failed)
        throw new SupervisorError(
          "E_SERVER_INSTALL",
          `Could not add pip to the venv ${options.venvDir}: ${lastLine(ensured.all) ?? ensured.shortMessage}. Delete the folder and try again.`,
        );
    }
    options.onEvent({
      type: "installing",
      message: `installing ${options.requirements.join(" ")} into ${options.venvDir} (first use only; this can take a few minutes)`,
    });
    const pip = execa(python, ["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off", ...options.requirements], {
      reject: false,
      all: true,
      stdin: "ignore",
      cancelSignal: options.signal,
      env: { PIP_NO_INPUT: "1" },
    });
    let partial = "";
    pip.all?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split(/\r?\n|\r/);
      partial = lines.pop() ?? "";
      if (partial.length > MAX_SERVER_LINE_CHARS) partial = "";
      for (const line of lines)
        if (/^\s*(Collecting|Downloading|Installing|Successfully|Requirement already satisfied: mlx)/.test(line))
          options.onEvent({ type: "installing", message: line.trim() });
    });
    const result = await pip;
    if (result.failed) {
      const tail = String(result.all ?? "")
        .split(/\r?\n/)
        .filter((line) => line.trim() !== "")
        .slice(-8);
      throw new SupervisorError(
        "E_SERVER_INSTALL",
        `pip could not install ${options.requirements.join(" ")} into ${options.venvDir} (${result.shortMessage}); see the lines above. Check the network, then try again.`,
        { details: tail },
      );
    }
  }
  writeFileSync(marker, `${wanted}\n`, { mode: 0o600 });
  return { python, changed: true };
}

/** The sentence shown when no Python 3.10+ exists: what is missing and what to install. */
export function missingPythonSentence(tooOld: readonly PythonFound[]): string {
  const found = tooOld.length > 0 ? ` (found only ${tooOld.map((p) => `Python ${p.version} as ${p.command}`).join(", ")})` : "";
  return `mallex needs Python ${MIN_PYTHON.join(".")} or newer to install mlx-lm, and none is on PATH${found}. Install one (macOS: \`brew install python@3.12\`, or the installer from python.org), then run mallex again.`;
}

/**
 * Asks each candidate for `--version`; the first 3.10+ wins. Each is a program on the user's PATH that
 * mallex does not control: in a process group of its own, 10 s and 4 Ki characters at most, so a
 * wrapper that leaves a background process holding its output keeps nothing waiting (runInOwnGroup).
 */
export async function lookupPython(candidates: readonly string[] = PYTHON_CANDIDATES): Promise<PythonLookup> {
  const tooOld: PythonFound[] = [];
  for (const command of candidates) {
    const result = await runInOwnGroup(command, ["--version"], { timeoutMs: 10_000, maxOutputChars: 4096 });
    const match = /Python (\d+)\.(\d+)(\.\d+)?/.exec(result.output);
    if (result.exitCode !== 0 || !match) continue;
    const found = { command, version: `${match[1]}.${match[2]}${match[3] ?? ""}` };
    const [major, minor] = [Number(match[1]), Number(match[2])];
    if (major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1])) return { found, tooOld };
    if (!tooOld.some((p) => p.version === found.version)) tooOld.push(found);
  }
  return { tooOld };
}

function readMarker(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trim();
  } catch {
    return undefined;
  }
}

function lastLine(text: unknown): string | undefined {
  return String(text ?? "")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .at(-1);
}
