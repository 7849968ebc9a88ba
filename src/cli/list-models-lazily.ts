import type { ModelPlaceDeps } from "../models/locate-profile-model.js";
import type { ListModels } from "../observe/dashboard/dashboard-context.js";

/**
 * The dashboard's Models tab list, for the proxy: models/ (and @huggingface/gguf, which reads GGUF
 * headers) is imported when the tab first asks, so a proxy's start and its idle memory never pay for
 * it. What it reads of each model is kept while the model's files stay as they were.
 */
export function listModelsLazily(deps: ModelPlaceDeps): ListModels {
  let lister: Promise<ListModels> | undefined;
  return async (table) => {
    lister ??= import("../models/create-models-lister.js").then(({ createModelsLister }) => createModelsLister({ ...deps, keepReadings: true }));
    try {
      return await (
        await lister
      )(table);
    } catch (error) {
      // An import that failed (a build half replaced) is tried again at the next ask.
      if (
        !(await lister.then(
          () => true,
          () => false,
        ))
      )
        lister = undefined;
      throw error;
    }
  };
}
