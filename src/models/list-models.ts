import { existsSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RoutingTable } from "../compile/routing-table.js";
import { profilesInUse } from "../doctor/profiles-in-use.js";
import type { ModelEvalScores } from "../observe/eval-scores.js";
import type { MeasuredSpeed } from "../observe/measured-speeds.js";
import { modelShortName } from "../shared/model-short-name.js";
import { huggingFaceHubCache } from "../supervisor/locate-model.js";
import { findGgufFiles, findHubModels, type FoundModel } from "./find-model-files.js";
import { judgeFit } from "./judge-fit.js";
import { locateProfileModel, type ModelPlaceDeps } from "./locate-profile-model.js";
import { measuredModelCandidates } from "./measured-model-candidates.js";
import { mergeModelCandidates, useRank, type MergedModel, type ModelCandidate } from "./merge-model-candidates.js";
import type { ListedModel, ModelEntry, ModelFormat, ModelReading } from "./model-entry.js";
import { readGgufFile } from "./read-gguf-file.js";
import { readMlxFolder } from "./read-mlx-folder.js";

export interface ListModelsOptions extends ModelPlaceDeps {
  /** The compiled config: its profiles' models are listed, with the tiers that use them. */
  table: RoutingTable;
  /** This machine's memory as the OS reports it (setup/detect-hardware.ts); 0 when unknown. */
  ramGb: number;
  /** What this machine measured (observe/measured-speeds.ts) and evaluated (observe/eval-scores.ts): each model's go beside it. */
  measured?: { speeds: readonly MeasuredSpeed[]; scores: readonly ModelEvalScores[] };
  /** Reads a model's files (default: its GGUF header or MLX folder, each time; the dashboard's reader keeps what it read). */
  read?: (path: string, format: ModelFormat) => Promise<ModelReading>;
}

/**
 * Every model this machine has, and every profile's model: the GGUF files under MALLEX_HOME/models
 * (the embedded engine's downloads, and files put there), the models of the Hugging Face cache (MLX
 * folders, GGUFs), and each profile's model of a server mallex starts, where its server finds it
 * (downloaded or not), and each model measured or evaluated here (measured-model-candidates.ts: one
 * not here any more is listed too, as `not here`). Each once, with what its own files say (read one
 * after the other: a header takes a core for a second or so), the profiles and tiers that use it,
 * whether it fits, and its measured speeds and eval scores, whatever name they were kept under. Models
 * the config uses come first, in tier order; those not here last.
 */
export async function listModels(options: ListModelsOptions): Promise<ListedModel[]> {
  const profiles = profileModels(options);
  const named = new Set(profiles.flatMap((candidate) => (candidate.namedAs === undefined ? [] : [candidate.namedAs])));
  const measured = options.measured ?? { speeds: [], scores: [] };
  const models = mergeModelCandidates([...findOnDisk(options), ...profiles, ...measuredModelCandidates(measured, { ...options, named, keyOf, formatOf })]);
  const read = options.read ?? readModel;
  const entries: ListedModel[] = [];
  for (const model of models)
    entries.push({
      ...toEntry(model, model.absent ? undefined : await read(model.path!, model.format), options.ramGb),
      ...measuredOf(model, measured),
    });
  return entries.sort(byUse);
}

/** The speeds and scores kept under any of the model's names: the most recently measured, the newest score first. */
function measuredOf(model: MergedModel, measured: NonNullable<ListModelsOptions["measured"]>): Pick<ListedModel, "measured" | "evals"> {
  const names = new Set(model.namedAs);
  const speeds = measured.speeds.filter((speed) => names.has(speed.model));
  const evals = measured.scores.filter((entry) => names.has(entry.model)).flatMap((entry) => entry.scores.map((score) => ({ ...score, model: entry.model })));
  return {
    measured: speeds.sort((a, b) => (b.lastAt ?? "").localeCompare(a.lastAt ?? "")),
    evals: evals.sort((a, b) => Date.parse(b.date) - Date.parse(a.date)),
  };
}

function findOnDisk(options: ListModelsOptions): ModelCandidate[] {
  const ggufs = findGgufFiles(join(options.mallexHome, "models")).map((path): FoundModel => ({ name: modelShortName(path), path, format: "gguf" }));
  const hub = findHubModels(huggingFaceHubCache(options.env, options.homedir));
  return [...ggufs, ...hub].map((found) => ({
    key: keyOf(found.path),
    name: found.name,
    path: found.path,
    format: found.format,
    ...(found.incomplete ? { absent: { state: "partly downloaded" as const, problem: "huggingface_hub's download of it did not finish" } } : {}),
  }));
}

/** The profiles of servers mallex starts itself: another server's model (Ollama's, a URL's) is that server's to list. */
function profileModels(options: ListModelsOptions): ModelCandidate[] {
  const { table } = options;
  const usedBy = new Map(profilesInUse(table).map((entry) => [entry.profile.name, entry.usedBy]));
  return Object.values(table.profiles).flatMap((profile): ModelCandidate[] => {
    const backend = table.backends[profile.backend];
    if (backend?.kind !== "openai" || !backend.supervise) return [];
    const place = locateProfileModel(profile, backend, options);
    const use = {
      name: profile.name,
      tiers: usedBy.get(profile.name) ?? [],
      ...(profile.minRamGb !== undefined ? { minRamGb: profile.minRamGb } : {}),
    };
    const name = modelShortName(profile.model);
    const namedAs = profile.model;
    if (place.here) return [{ key: keyOf(place.path), name, path: place.path, format: formatOf(place.path), profile: use, namedAs }];
    return [
      {
        key: place.path !== null && existsSync(place.path) ? keyOf(place.path) : `absent:${place.path ?? profile.model}`,
        name,
        path: place.path,
        format: place.format,
        absent: { state: place.state, problem: place.problem },
        profile: use,
        namedAs,
      },
    ];
  });
}

export async function readModel(path: string, format: ModelFormat): Promise<ModelReading> {
  return format === "gguf" ? readGgufFile(path) : readMlxFolder(path);
}

function toEntry(model: MergedModel, reading: ModelReading | undefined, ramGb: number): ModelEntry {
  const facts = reading && "facts" in reading ? reading.facts : { architecture: null, params: null, quantization: null, contextLength: null };
  const sizeBytes = reading?.sizeBytes ?? null;
  return {
    name: model.name,
    path: model.path,
    format: model.format,
    architecture: facts.architecture,
    params: facts.params,
    quantization: facts.quantization,
    sizeBytes,
    contextLength: facts.contextLength,
    profiles: model.profiles,
    tiers: model.tiers,
    // An unreadable file is no model to fit; one not here yet is judged by what its profiles declare.
    ...(reading && "problem" in reading ? { fits: null, needsGb: null } : judgeFit({ sizeBytes, minRamGb: model.minRamGb }, ramGb)),
    state: model.absent ? model.absent.state : reading && "problem" in reading ? "unreadable" : "on disk",
    problem: model.absent ? model.absent.problem : reading && "problem" in reading ? reading.problem : null,
  };
}

/** A folder is an MLX model, a file a GGUF: what the path is, not what the profile's server expects. */
function formatOf(path: string): "gguf" | "mlx" {
  try {
    return statSync(path).isDirectory() ? "mlx" : "gguf";
  } catch {
    return "gguf"; // gone since it was found: its reading says so
  }
}

/** The same file reached by two paths (a link, `~/`, a relative path) is one model. */
function keyOf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** In use by a tier first (the lowest tier first), then named by a profile, then the rest, then those not here; by name within. */
function byUse(a: ModelEntry, b: ModelEntry): number {
  return rankOf(a) - rankOf(b) || a.name.localeCompare(b.name) || (a.path ?? "").localeCompare(b.path ?? "");
}

function rankOf(entry: ModelEntry): number {
  if (entry.tiers.length > 0) return useRank(entry.tiers[0]!);
  return entry.profiles.length > 0 ? 100 : entry.state === "not here" ? 300 : 200;
}
