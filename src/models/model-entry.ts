import type { EvalScore } from "../observe/eval-scores.js";
import type { MeasuredSpeed } from "../observe/measured-speeds.js";

/**
 * One model of this machine as `mallex models` and the dashboard's Models tab show it: a GGUF file, an
 * MLX folder, a profile's model that is not here yet, or one measured here that is not here any more.
 * Every field is always there, null where it is not known, so `--json` keeps its field names from one
 * model to the next.
 */

/** A single GGUF file (llama.cpp, the embedded engine), or a folder of safetensors and config.json (mlx-lm). */
export type ModelFormat = "gguf" | "mlx";

/**
 * - `on disk`: its file or folder is here and could be read;
 * - `unreadable`: it is here but is no model, or a truncated one (`problem` says which);
 * - `partly downloaded`: a download of it was started and not finished;
 * - `not downloaded`: a profile names it, and the first start downloads it;
 * - `missing`: a profile names a path on this machine where nothing is;
 * - `not here`: mallex measured or evaluated it, and no profile of a server mallex starts names it now:
 *   another server's model (Ollama's, a URL's), or a file moved or removed since (`problem` says which).
 */
export type ModelState = "on disk" | "unreadable" | "partly downloaded" | "not downloaded" | "missing" | "not here";

/** What a model's own files say about it: its GGUF header, or its config.json and safetensors headers. Never its name. */
export interface ModelFacts {
  /** `general.architecture` of a GGUF, `model_type` of a config.json: "qwen2", "llama". */
  architecture: string | null;
  /** Parameters counted from the tensors' shapes (a quantized MLX tensor's packed values unpacked). */
  params: number | null;
  /** "Q4_K_M" (a GGUF's general.file_type), "4-bit" (an MLX folder's quantization), else the weights' type ("F32"). */
  quantization: string | null;
  /** The context the model was trained for: `<arch>.context_length`, `max_position_embeddings`. */
  contextLength: number | null;
}

/** What reading a model's files gave: its facts, or why there are none. */
export type ModelReading = { facts: ModelFacts; sizeBytes: number } | { problem: string; sizeBytes: number | null };

export interface ModelEntry extends ModelFacts {
  /** As mallex names a model elsewhere (shared/model-short-name.ts): a GGUF by its file name, a repo by its last part. */
  name: string;
  /** The GGUF file or the MLX folder; where it will be, for a model not downloaded yet (null where that is not known). */
  path: string | null;
  format: ModelFormat;
  /** Bytes of its weights on disk: the GGUF file, an MLX folder's *.safetensors. */
  sizeBytes: number | null;
  /** The config's profiles whose model it is, by name. */
  profiles: string[];
  /** The tiers (and "classifier") whose requests those profiles serve, in tier order. */
  tiers: string[];
  /** Whether it fits this machine's memory as `mallex doctor` judges it; null when its size or the memory is unknown. */
  fits: boolean | null;
  /** The memory it needs, in GB: a profile's min_ram_gb, else its weights with their overhead; null when unknown. */
  needsGb: number | null;
  state: ModelState;
  /** Why it is unreadable or not complete, in words; null when there is nothing to say. */
  problem: string | null;
}

/** One `mallex eval` score of a model, with the model as that run named it (several names can be one model). */
export type ModelEvalScore = EvalScore & { model: string };

/** A model with what this machine measured of it: what `mallex models --json` prints and /ui/api/models answers. */
export interface ListedModel extends ModelEntry {
  /**
   * Its speed as this machine's requests measured it (observe/measured-speeds.ts): one entry per profile
   * and name it was served under, each with its server; the most recently measured first.
   */
  measured: MeasuredSpeed[];
  /** Every `mallex eval` score of it kept in MALLEX_HOME/evals/ (the newest 200 runs), newest first: date, suite, settings, pass rate. */
  evals: ModelEvalScore[];
}
