import { existsSync, readFileSync } from "node:fs";
import type { RoutingTable } from "../compile/routing-table.js";
import { downloadedModelPath } from "../doctor/downloaded-model-path.js";
import { profilesInUse } from "../doctor/profiles-in-use.js";
import type { EvalScore } from "../observe/eval-scores.js";
import type { MeasuredServer } from "../observe/measured-server.js";
import { modelShortName } from "../shared/model-short-name.js";
import { HF_REPO, huggingFaceRepoDir, localModelPath } from "../supervisor/locate-model.js";
import { cachedSnapshot } from "../supervisor/memory/model-sizes.js";
import { expectedFormat, type ModelPlaceDeps } from "./locate-profile-model.js";
import type { ModelCandidate } from "./merge-model-candidates.js";

/** What this machine measured and evaluated, by the model's name as the profile (or `--embedded`) gave it. */
export interface MeasuredHere {
  speeds: ReadonlyArray<{ model: string; server?: MeasuredServer }>;
  scores: ReadonlyArray<{ model: string; scores: ReadonlyArray<Pick<EvalScore, "server">> }>;
}

/**
 * A sighting of each model measured or evaluated here under a name no profile of a server mallex
 * starts gives it (those names are their profiles' sightings already): the file or folder the name
 * points at when it is here (so its facts are read, and a file found on disk and named by a path, an
 * hf: URI or a repo id is one model), else a model `not here`: another server's (Ollama's, a URL's:
 * that server keeps its files), or one moved or removed since. A profile of such a server that names
 * it gives it its tiers.
 */
export function measuredModelCandidates(
  measured: MeasuredHere,
  options: ModelPlaceDeps & { table: RoutingTable; named: ReadonlySet<string>; keyOf: (path: string) => string; formatOf: (path: string) => "gguf" | "mlx" },
): ModelCandidate[] {
  const servers = new Map<string, MeasuredServer[]>();
  const saw = (model: string, server: MeasuredServer | undefined) => {
    // Claude itself (an eval's pass-through variant) is no model of this machine.
    if (server?.kind !== "anthropic") servers.set(model, [...(servers.get(model) ?? []), ...(server ? [server] : [])]);
  };
  for (const speed of measured.speeds) saw(speed.model, speed.server);
  for (const { model, scores } of measured.scores) for (const score of scores) saw(model, score.server);
  const usedBy = new Map(profilesInUse(options.table).map((entry) => [entry.profile.name, entry.usedBy]));

  return [...servers].flatMap(([model, seenOn]): ModelCandidate[] => {
    if (options.named.has(model)) return [];
    const sighting = sightingOf(model, seenOn, options);
    // The config's profiles that name it on a server mallex does not start (the others are in `named`).
    const profiles = Object.values(options.table.profiles).filter((profile) => profile.model === model);
    if (profiles.length === 0) return [sighting];
    return profiles.map((profile) => ({ ...sighting, profile: { name: profile.name, tiers: usedBy.get(profile.name) ?? [] } }));
  });
}

function sightingOf(
  model: string,
  seenOn: readonly MeasuredServer[],
  options: ModelPlaceDeps & { keyOf: (path: string) => string; formatOf: (path: string) => "gguf" | "mlx" },
): ModelCandidate {
  const name = modelShortName(model);
  const path = placeOf(model, options);
  if (path !== undefined && existsSync(path)) return { key: options.keyOf(path), name, path, format: options.formatOf(path), namedAs: model };
  // A server mallex does not start names its model its own way (an Ollama tag, `hf.co/…`): no path of this machine.
  const elsewhere = seenOn.length > 0 && seenOn.every((server) => server.url !== "embedded" && server.url !== "started by mallex") ? seenOn[0] : undefined;
  const here = elsewhere === undefined ? path : undefined;
  return {
    key: `absent:${here ?? model}`,
    name,
    path: here ?? null,
    format: expectedFormat(elsewhere?.flavor ?? seenOn[0]?.flavor ?? "", model),
    absent: {
      state: "not here",
      problem:
        elsewhere !== undefined
          ? `served by ${elsewhere.flavor} at ${elsewhere.url}, which keeps its files`
          : here !== undefined
            ? `nothing is at ${here} now: it was measured or evaluated here before it was moved or removed`
            : `it is not on this machine now: it was measured or evaluated here before`,
    },
    namedAs: model,
  };
}

/**
 * Where a model's name points on this machine, as its server would find it (locate-profile-model.ts,
 * without the profile's flavor): an hf: URI or URL in the engine's downloads, a path, a repo id in the
 * Hugging Face cache; undefined for a name that is no path (an Ollama tag, a repo id not downloaded).
 */
function placeOf(model: string, deps: ModelPlaceDeps): string | undefined {
  const remote = downloadedModelPath(model, { env: deps.env, mallexHome: deps.mallexHome, readText });
  if (remote) return remote.localPath;
  const asPath = localModelPath(model, deps);
  if (existsSync(asPath)) return asPath;
  const snapshot = HF_REPO.test(model) ? cachedSnapshot(huggingFaceRepoDir(model, deps)) : undefined;
  if (snapshot !== undefined) return snapshot;
  return /^(~|\.{1,2})?\//.test(model) || model.toLowerCase().endsWith(".gguf") ? asPath : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
