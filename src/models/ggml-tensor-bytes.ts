import { GGMLQuantizationType as T } from "@huggingface/gguf";

/**
 * Elements per block and bytes per block of each ggml tensor type, as llama.cpp lays them out
 * (gguf-py's GGML_QUANT_SIZES; @huggingface/gguf keeps the same table but does not export it).
 * @see https://github.com/ggml-org/llama.cpp/blob/master/gguf-py/gguf/constants.py
 */
const QK_K = 256;
const BLOCKS: Partial<Record<T, readonly [elements: number, bytes: number]>> = {
  [T.F32]: [1, 4],
  [T.F16]: [1, 2],
  [T.BF16]: [1, 2],
  [T.F64]: [1, 8],
  [T.I8]: [1, 1],
  [T.I16]: [1, 2],
  [T.I32]: [1, 4],
  [T.I64]: [1, 8],
  [T.Q4_0]: [32, 2 + 16],
  [T.Q4_1]: [32, 2 + 2 + 16],
  [T.Q5_0]: [32, 2 + 4 + 16],
  [T.Q5_1]: [32, 2 + 2 + 4 + 16],
  [T.Q8_0]: [32, 2 + 32],
  [T.Q8_1]: [32, 4 + 4 + 32],
  [T.Q2_K]: [QK_K, 2 + 2 + QK_K / 16 + QK_K / 4],
  [T.Q3_K]: [QK_K, 2 + QK_K / 4 + QK_K / 8 + 12],
  [T.Q4_K]: [QK_K, 2 + 2 + QK_K / 2 + 12],
  [T.Q5_K]: [QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12],
  [T.Q6_K]: [QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16],
  [T.Q8_K]: [QK_K, 4 + QK_K + QK_K / 8],
  [T.IQ2_XXS]: [QK_K, 2 + QK_K / 4],
  [T.IQ2_XS]: [QK_K, 2 + QK_K / 4 + QK_K / 32],
  [T.IQ3_XXS]: [QK_K, 2 + QK_K / 4 + QK_K / 8],
  [T.IQ1_S]: [QK_K, 2 + QK_K / 8 + QK_K / 16],
  [T.IQ4_NL]: [32, 2 + 16],
  [T.IQ3_S]: [QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  [T.IQ2_S]: [QK_K, 2 + QK_K / 4 + QK_K / 16],
  [T.IQ4_XS]: [QK_K, 2 + 2 + QK_K / 2 + QK_K / 64],
  [T.IQ1_M]: [QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  [T.TQ1_0]: [QK_K, 2 + 4 * 13],
  [T.TQ2_0]: [QK_K, 2 + 64],
  [T.MXFP4]: [32, 1 + 16],
  [T.NVFP4]: [64, 4 + 32],
  [T.Q1_0]: [128, 2 + 16],
  [T.Q2_0]: [64, 2 + 16],
};

/** Bytes a tensor of `elements` values of ggml type `dtype` takes in the file; undefined for a type this table lacks. */
export function ggmlTensorBytes(dtype: number, elements: number): number | undefined {
  const block = BLOCKS[dtype as T];
  return block === undefined ? undefined : Math.ceil(elements / block[0]) * block[1];
}
