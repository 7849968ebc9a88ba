import { MallexError } from "../shared/mallex-error.js";
import { MIN_PYTHON, type PythonLookup } from "../supervisor/bootstrap-venv.js";
import { mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { describeHardware, type Hardware } from "./detect-hardware.js";
import type { LocalProfile } from "./recommend-profile.js";

export const MLX_FLAVOR = "mlx-lm";
export const EMBEDDED_FLAVOR = "embedded";

export interface LocalBackendChoice {
  /** A backend of the shipped default that has local profiles, e.g. "mlx" or "embedded". */
  backend: string;
  flavor: string;
  /** One line: which backend and why, e.g. "Linux x64 … → embedded (…)". */
  reason: string;
}

export interface LocalBackendFacts {
  hardware: Hardware;
  /** Python as the supervisor would find it for mlx-lm's venv; only looked up on Apple Silicon. */
  python?: PythonLookup;
  /** `mallex init --backend NAME`: the user's choice, which wins. */
  requested?: string;
}

/**
 * Which of the shipped default's local backends `mallex init` writes tiers for: mlx-lm where it runs
 * — macOS on Apple Silicon, with a Python 3.10+ to create its venv — and mallex's embedded llama.cpp
 * engine everywhere else, since it needs nothing installed beyond mallex itself. Pure.
 */
export function chooseLocalBackend(profiles: readonly LocalProfile[], facts: LocalBackendFacts): LocalBackendChoice {
  const backends = [...new Map(profiles.map((p) => [p.backend, p.flavor])).entries()];
  const names = backends.map(([name]) => name).sort();
  if (facts.requested !== undefined) {
    const flavor = backends.find(([name]) => name === facts.requested)?.[1];
    if (flavor === undefined) {
      throw new MallexError(
        "E_USAGE",
        `--backend ${facts.requested} is not a backend with local profiles in the shipped default; choose one of ${names.join(", ")}.`,
        { exitCode: 2 },
      );
    }
    return { backend: facts.requested, flavor, reason: `--backend ${facts.requested}` };
  }
  const mlx = backends.find(([, flavor]) => flavor === MLX_FLAVOR)?.[0];
  const embedded = backends.find(([, flavor]) => flavor === EMBEDDED_FLAVOR)?.[0];
  const python = facts.python?.found;
  if (mlx !== undefined && facts.hardware.appleSilicon && (python !== undefined || embedded === undefined)) {
    const using = python ? ` and Python ${python.version} (${python.command})` : "";
    return { backend: mlx, flavor: MLX_FLAVOR, reason: `Apple Silicon${using} → ${mlx} (mlx-lm, in its own venv under MALLEX_HOME)` };
  }
  if (embedded === undefined) {
    // Only a hand-made default lacks the engine: keep to what it has.
    const [name, flavor] = backends[0] ?? [];
    if (name === undefined || flavor === undefined) throw new Error("chooseLocalBackend needs at least one local profile");
    return { backend: name, flavor, reason: `${name}, the only local backend of the shipped default` };
  }
  const engine = `${embedded} (mallex's own llama.cpp engine: no Python, no compiler; models download into MALLEX_HOME/models)`;
  if (!facts.hardware.appleSilicon) {
    // mlx-lm runs on Linux too, on mlx's CPU backend, several times slower than llama.cpp there: taken only when asked.
    const where = mlxLmRunsOn(facts.hardware)
      ? `where mlx-lm runs only on the CPU, slower than llama.cpp (\`mallex init --backend ${mlx ?? "mlx"}\` to use it anyway)`
      : "where mlx-lm does not run";
    return { backend: embedded, flavor: EMBEDDED_FLAVOR, reason: `${osName(facts.hardware)}, ${where} → ${engine}` };
  }
  const old = (facts.python?.tooOld ?? []).map((p) => `Python ${p.version} as ${p.command}`).join(", ");
  return {
    backend: embedded,
    flavor: EMBEDDED_FLAVOR,
    reason: `no Python ${MIN_PYTHON.join(".")}+ for mlx-lm${old ? ` (found only ${old})` : ""} → ${engine}; install Python and run \`mallex init --backend ${mlx ?? "mlx"}\` for mlx-lm`,
  };
}

/** "Linux x64" out of the hardware line (its first comma-separated part). */
function osName(hardware: Hardware): string {
  return describeHardware(hardware)
    .split(",")[0]!
    .replace(/ \(.*\)$/, "");
}
