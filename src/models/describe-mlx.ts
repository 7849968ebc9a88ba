import { formatNumber } from "../shared/format-number.js";
import type { ModelFacts } from "./model-entry.js";
import type { SafetensorsHeader } from "./parse-safetensors-header.js";

/** One *.safetensors file of a folder: its name, its size on disk and its parsed header. */
export interface WeightsFile {
  name: string;
  size: number;
  header: SafetensorsHeader;
}

type Config = Record<string, unknown>;

/**
 * An MLX (or Hugging Face) model folder's facts, from its config.json and its safetensors headers:
 * `model_type`, `max_position_embeddings` (a vision-language model keeps both in `text_config`), the
 * quantization mlx-lm wrote (`quantization: { bits, group_size }`, per layer where a layer differs)
 * or the weights' type, and the parameters counted from the tensors' shapes. A quantized layer's
 * weight packs 32 / bits values into each uint32 and comes with `.scales` and `.biases`, which are
 * not parameters of the model. A file shorter than its header says is truncated. Pure.
 */
export function describeMlx(config: unknown, files: readonly WeightsFile[]): { facts: ModelFacts } | { problem: string } {
  if (typeof config !== "object" || config === null || Array.isArray(config)) return { problem: "its config.json is not a JSON object" };
  if (files.length === 0) return { problem: "it has a config.json but no *.safetensors weights" };
  const short = files.find((file) => file.header.dataEnd > file.size);
  if (short)
    return {
      problem: `truncated: ${short.name}'s tensors run to byte ${formatNumber(short.header.dataEnd)}, the file has ${formatNumber(short.size)} (an interrupted download or copy?)`,
    };
  const top = config as Config;
  const text = isObject(top.text_config) ? top.text_config : {};
  const quantization = isObject(top.quantization) ? top.quantization : undefined;
  const tensors = new Map(files.flatMap((file) => [...file.header.tensors]));

  let params = 0;
  for (const [name, tensor] of tensors) {
    const layer = name.replace(/\.(weight|scales|biases)$/, "");
    const packed = name.endsWith(".weight") && tensor.dtype === "U32" && tensors.has(`${layer}.scales`);
    if (tensors.has(`${layer}.weight`) && tensors.has(`${layer}.scales`) && (name.endsWith(".scales") || name.endsWith(".biases"))) continue;
    const elements = tensor.shape.reduce((product, dim) => product * dim, 1);
    params += packed ? (elements * 32) / bitsOf(quantization, layer) : elements;
  }
  const architecture = stringOf(top.model_type) ?? stringOf(text.model_type);
  return {
    facts: {
      architecture,
      params: tensors.size > 0 ? params : null,
      quantization: describeQuantization(top, quantization) ?? mainDtype(tensors),
      contextLength: contextOf(top) ?? contextOf(text),
    },
  };
}

/** A layer's bits: its own entry in `quantization` when mlx-lm quantized it differently, else the model's (4 when unsaid, mlx-lm's default). */
function bitsOf(quantization: Config | undefined, layer: string): number {
  const own = quantization?.[layer];
  const bits = isObject(own) ? own.bits : quantization?.bits;
  return typeof bits === "number" && bits > 0 ? bits : 4;
}

/** "4-bit" (mlx-lm), "4-bit mxfp4", "4-bit awq" (a transformers quantization_config); undefined when unquantized. */
function describeQuantization(config: Config, quantization: Config | undefined): string | undefined {
  if (quantization && typeof quantization.bits === "number") {
    const mode = stringOf(quantization.mode);
    return `${quantization.bits}-bit${mode && mode !== "affine" ? ` ${mode}` : ""}`;
  }
  const other = isObject(config.quantization_config) ? config.quantization_config : undefined;
  if (!other) return undefined;
  const method = stringOf(other.quant_method);
  const bits = typeof other.bits === "number" ? `${other.bits}-bit` : undefined;
  return [bits, method].filter((part) => part !== undefined).join(" ") || undefined;
}

/** The dtype that holds most of the values: "F32", "BF16". */
function mainDtype(tensors: ReadonlyMap<string, { dtype: string; shape: number[] }>): string | null {
  const byType = new Map<string, number>();
  for (const { dtype, shape } of tensors.values()) byType.set(dtype, (byType.get(dtype) ?? 0) + shape.reduce((p, d) => p * d, 1));
  const [main] = [...byType.entries()].sort((a, b) => b[1] - a[1]);
  return main?.[0] ?? null;
}

/** The trained context: max_position_embeddings, or the older names some architectures use. */
function contextOf(config: Config): number | null {
  for (const key of ["max_position_embeddings", "max_sequence_length", "n_positions", "seq_length"]) {
    const value = config[key];
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
  }
  return null;
}

function isObject(value: unknown): value is Config {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | null {
  return typeof value === "string" && value !== "" ? value : null;
}
