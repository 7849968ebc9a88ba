import { join } from "node:path";
import { HF_REPO, huggingFaceRepoDir, localModelPath } from "../../supervisor/locate-model.js";
import type { ModelFiles, ModelPlace } from "../../supervisor/memory/model-sizes.js";
import type { FactsTarget, ServerFacts } from "../server-facts.js";
import { someFacts, type FactsIo } from "./facts-io.js";
import { contextTokens } from "./plausible-numbers.js";

/**
 * mlx-lm.server 0.32 publishes no facts (its /v1/models lists the Hugging Face cache, not what it
 * serves), and holds no fixed context: its KV cache grows with the request, so the model's own
 * limit is the one that holds, `max_position_embeddings` in the model's config.json
 * (`text_config.max_position_embeddings` for the models that nest a language model's config), which
 * mlx_lm/utils.py `load_config` reads. The model is the profile's: a local folder, else a Hugging
 * Face repo in the cache huggingface_hub uses (the snapshot refs/main names, else any), which is what
 * mlx_lm/utils.py `_download` loads. A repo's config.json is the same on every machine, so this
 * holds for a server on another machine too.
 *
 * `parallel` is the default of mlx_lm/server.py's `--decode-concurrency` (32 in 0.32.0,
 * ml-explore/mlx-lm d06c537): the batch a batchable model decodes at once. A server started with
 * another value says so nowhere.
 */
export const MLX_LM_DECODE_CONCURRENCY = 32;

export async function readMlxLmConfig(target: FactsTarget, io: FactsIo): Promise<ServerFacts | undefined> {
  const parallelSource = "mlx-lm 0.32 --decode-concurrency default";
  const file = target.model === undefined ? undefined : configFileOf(target.model, io.files, io.place);
  const config = file === undefined ? undefined : parseConfig(io.files.readText(file));
  const context = contextTokens(config?.max_position_embeddings) ?? contextTokens(config?.text_config?.max_position_embeddings);
  return someFacts({
    contextWindow: context,
    parallel: MLX_LM_DECODE_CONCURRENCY,
    model: target.model,
    source: context === undefined ? parallelSource : `mlx-lm: ${file} max_position_embeddings; ${parallelSource}`,
  });
}

/** The config.json mlx-lm would load for `model`, if this machine has it. */
function configFileOf(model: string, files: ModelFiles, place: ModelPlace): string | undefined {
  const local = join(localModelPath(model, place), "config.json");
  if (files.exists(local)) return local;
  if (!HF_REPO.test(model)) return undefined;
  const repo = huggingFaceRepoDir(model, place);
  const snapshots = join(repo, "snapshots");
  const main = files.readText(join(repo, "refs", "main"))?.trim();
  const revisions = main && files.exists(join(snapshots, main)) ? [main] : [...files.readdir(snapshots)].sort();
  return revisions.map((revision) => join(snapshots, revision, "config.json")).find((path) => files.exists(path));
}

type ModelConfig = { max_position_embeddings?: unknown; text_config?: { max_position_embeddings?: unknown } };

function parseConfig(text: string | undefined): ModelConfig | undefined {
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === "object" ? (parsed as ModelConfig) : undefined;
  } catch {
    return undefined;
  }
}
