import { GGMLFileQuantizationType, GGMLQuantizationType } from "@huggingface/gguf";
import { formatNumber } from "../shared/format-number.js";
import { ggmlTensorBytes } from "./ggml-tensor-bytes.js";
import type { ModelFacts } from "./model-entry.js";

/** What describeGguf reads of a parsed GGUF header (@huggingface/gguf's GGUFParseOutput has these). */
export interface GgufHeader {
  /** Its key-value pairs: `general.architecture`, `qwen2.context_length`, … */
  metadata: object;
  tensorInfos: ReadonlyArray<{ shape: readonly bigint[]; dtype: number; offset: bigint }>;
  /** Where the tensors' data starts: the header ends there. */
  tensorDataOffset: bigint;
}

/**
 * A GGUF's facts from its header: `general.architecture`, `<arch>.context_length`, the parameters
 * counted from the tensors' shapes, and the quantization `general.file_type` names (else the type of
 * most of the weights, as a file without that key is: llama2.c's conversions). A file shorter than
 * its header says is truncated (an interrupted download): the parser reads zeros past its end, so
 * nothing it read is trusted then. Pure.
 */
export function describeGguf(header: GgufHeader, fileSize: number): { facts: ModelFacts } | { problem: string } {
  const headerEnd = Number(header.tensorDataOffset);
  if (headerEnd > fileSize) return { problem: truncated("its header runs", headerEnd, fileSize) };
  // A tensor of a type the table lacks counts from its start: the file must reach that far at least.
  const dataEnd = header.tensorInfos.reduce(
    (end, t) => Math.max(end, headerEnd + Number(t.offset) + (ggmlTensorBytes(t.dtype, elementsOf(t.shape)) ?? 0)),
    headerEnd,
  );
  if (dataEnd > fileSize) return { problem: truncated("its tensors run", dataEnd, fileSize) };

  const metadata = header.metadata as Readonly<Record<string, unknown>>;
  const architecture = typeof metadata["general.architecture"] === "string" ? metadata["general.architecture"] : null;
  const params = header.tensorInfos.reduce((sum, t) => sum + elementsOf(t.shape), 0);
  return {
    facts: {
      architecture,
      params: header.tensorInfos.length > 0 ? params : null,
      quantization: fileTypeName(metadata["general.file_type"]) ?? mainTensorType(header.tensorInfos),
      contextLength: architecture === null ? null : positive(metadata[`${architecture}.context_length`]),
    },
  };
}

/** `general.file_type` 15 → "Q4_K_M" (llama.cpp's LLAMA_FTYPE_MOSTLY_*); undefined when absent or unknown. */
export function fileTypeName(fileType: unknown): string | undefined {
  const value = toNumber(fileType);
  return value === undefined ? undefined : GGMLFileQuantizationType[value];
}

/** The ggml type that holds most of the values ("F32" for an unquantized file); null without tensors. */
function mainTensorType(tensors: GgufHeader["tensorInfos"]): string | null {
  const byType = new Map<number, number>();
  for (const t of tensors) byType.set(t.dtype, (byType.get(t.dtype) ?? 0) + elementsOf(t.shape));
  const [main] = [...byType.entries()].sort((a, b) => b[1] - a[1]);
  return main === undefined ? null : (GGMLQuantizationType[main[0]] ?? `ggml type ${main[0]}`);
}

function elementsOf(shape: readonly bigint[]): number {
  return shape.reduce((product, dim) => product * Number(dim), 1);
}

function truncated(what: string, end: number, size: number): string {
  return `truncated: ${what} to byte ${formatNumber(end)}, the file has ${formatNumber(size)} (an interrupted download or copy?)`;
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === "bigint") return Number(value);
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function positive(value: unknown): number | null {
  const n = toNumber(value);
  return n !== undefined && n > 0 ? n : null;
}
