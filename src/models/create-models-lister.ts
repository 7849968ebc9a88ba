import type { RoutingTable } from "../compile/routing-table.js";
import { readEvalHistory } from "../observe/eval-history.js";
import { evalScoresByModel } from "../observe/eval-scores.js";
import { readMeasuredSpeeds } from "../observe/measured-speeds.js";
import { detectHardware } from "../setup/detect-hardware.js";
import { createCachedModelReader } from "./cached-model-reader.js";
import { listModels, readModel } from "./list-models.js";
import type { ModelPlaceDeps } from "./locate-profile-model.js";
import type { ListedModel } from "./model-entry.js";

export interface ModelsListing {
  models: ListedModel[];
  /** What could not be read of what was measured here (ttft-rates.json, an eval run's file), each in words: the rest is listed. */
  problems: string[];
}

export interface ModelsListerOptions extends ModelPlaceDeps {
  /** This machine's memory in GB (0: unknown); default: asked of the OS once (setup/detect-hardware.ts). */
  ramGb?: () => Promise<number>;
  /** Keep what was read of each model while its files do not change (the dashboard asks again and again); `mallex models` reads once. */
  keepReadings?: boolean;
}

/**
 * What `mallex models --json` prints and the dashboard's /ui/api/models answers, for a routing table:
 * every model (listModels) with this MALLEX_HOME's measured speeds and eval history beside it, both
 * read anew on each call (a proxy that runs writes what it learns within seconds).
 */
export function createModelsLister(options: ModelsListerOptions): (table: RoutingTable) => Promise<ModelsListing> {
  const read = options.keepReadings ? createCachedModelReader(readModel) : undefined;
  let ramGb: Promise<number> | undefined;
  return async (table) => {
    const speeds = readMeasuredSpeeds(options.mallexHome);
    const history = readEvalHistory(options.mallexHome);
    ramGb ??=
      options.ramGb?.() ??
      detectHardware().then(
        (hardware) => hardware.ramGb,
        () => 0,
      );
    const models = await listModels({
      table,
      env: options.env,
      homedir: options.homedir,
      cwd: options.cwd,
      mallexHome: options.mallexHome,
      ramGb: await ramGb,
      measured: { speeds: speeds.speeds, scores: evalScoresByModel(history.runs) },
      ...(read ? { read } : {}),
    });
    read?.forgetAllBut(models.flatMap((model) => (model.path === null ? [] : [model.path])));
    return {
      models,
      problems: [...speeds.problems, ...history.unreadable.map(({ file, reason }) => `eval history: ${file} is skipped: ${reason}`)],
    };
  };
}
