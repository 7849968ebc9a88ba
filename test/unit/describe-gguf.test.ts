import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GGMLQuantizationType as T } from "@huggingface/gguf";
import { describe, expect, it } from "vitest";
import { describeGguf, fileTypeName, type GgufHeader } from "../../src/models/describe-gguf.js";
import { ggmlTensorBytes } from "../../src/models/ggml-tensor-bytes.js";
import { readGgufFile } from "../../src/models/read-gguf-file.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/** A header of the given tensors laid out one after the other from offset 0, as llama.cpp writes them. */
function header(metadata: Record<string, unknown>, tensors: Array<{ dtype: T; shape: number[] }>, dataOffset = 1000): GgufHeader & { size: number } {
  let offset = 0;
  const tensorInfos = tensors.map(({ dtype, shape }) => {
    const info = { dtype, shape: shape.map(BigInt), offset: BigInt(offset) };
    offset += ggmlTensorBytes(
      dtype,
      shape.reduce((a, b) => a * b, 1),
    )!;
    return info;
  });
  return { metadata, tensorInfos, tensorDataOffset: BigInt(dataOffset), size: dataOffset + offset };
}

describe("a GGUF's facts from its header (describeGguf)", () => {
  const qwen = header({ "general.architecture": "qwen2", "general.file_type": 15, "qwen2.context_length": 32768 }, [
    { dtype: T.Q4_K, shape: [1536, 1024] },
    { dtype: T.Q6_K, shape: [1536, 256] },
    { dtype: T.F32, shape: [1536] },
  ]);

  it("reads the architecture, its context length, the quantization general.file_type names, and counts the parameters", () => {
    expect(describeGguf(qwen, qwen.size)).toEqual({
      facts: { architecture: "qwen2", params: 1536 * 1024 + 1536 * 256 + 1536, quantization: "Q4_K_M", contextLength: 32768 },
    });
    // uint64 values come as bigint.
    const big = { ...qwen, metadata: { ...qwen.metadata, "qwen2.context_length": 131072n, "general.file_type": 7n } };
    expect(describeGguf(big, qwen.size)).toMatchObject({ facts: { quantization: "Q8_0", contextLength: 131072 } });
  });

  it("without general.file_type (llama2.c's conversions): the type that holds most of the values", () => {
    const f32 = header({ "general.architecture": "llama", "llama.context_length": 2048 }, [
      { dtype: T.F32, shape: [64, 512] },
      { dtype: T.Q8_0, shape: [64] },
    ]);
    expect(describeGguf(f32, f32.size)).toMatchObject({ facts: { quantization: "F32", contextLength: 2048 } });
  });

  it("unknown facts are null, never made up: no architecture, no context length, no tensors", () => {
    expect(describeGguf(header({}, []), 1000)).toEqual({ facts: { architecture: null, params: null, quantization: null, contextLength: null } });
    expect(describeGguf(header({ "general.architecture": "llama", "llama.context_length": 0 }, []), 1000)).toMatchObject({ facts: { contextLength: null } });
  });

  it("a file shorter than its header, or than its tensors, is truncated: nothing read from it is trusted", () => {
    expect(describeGguf(qwen, 999)).toEqual({
      problem: "truncated: its header runs to byte 1,000, the file has 999 (an interrupted download or copy?)",
    });
    // Cut inside the last tensor: its start is in the file, its end is not.
    expect(describeGguf(qwen, qwen.size - 1)).toEqual({
      problem: `truncated: its tensors run to byte ${qwen.size.toLocaleString("en-US")}, the file has ${(qwen.size - 1).toLocaleString("en-US")} (an interrupted download or copy?)`,
    });
    expect(describeGguf(qwen, qwen.size + 32)).toHaveProperty("facts");
  });

  it("file types and tensor sizes as llama.cpp has them", () => {
    expect([15, 3, 1, 0, 18, 32].map(fileTypeName)).toEqual(["Q4_K_M", "Q4_1", "F16", "F32", "Q6_K", "BF16"]);
    expect(fileTypeName(undefined)).toBeUndefined();
    expect(fileTypeName(9999)).toBeUndefined();
    expect(ggmlTensorBytes(T.Q4_K, 512)).toBe(288); // 2 blocks of 256 values, 144 bytes each
    expect(ggmlTensorBytes(T.Q4_0, 64)).toBe(36);
    expect(ggmlTensorBytes(T.F16, 10)).toBe(20);
    expect(ggmlTensorBytes(9999, 10)).toBeUndefined();
  });
});

describeWithShared("reading a real GGUF file (readGgufFile, ../shared/models)", () => {
  it("stories260K: llama, 2048 context, all F32, its parameters counted from the header alone", async () => {
    expect(await readGgufFile(sharedPath("models", "stories260K.gguf"))).toEqual({
      facts: { architecture: "llama", params: 292_800, quantization: "F32", contextLength: 2048 },
      sizeBytes: 1_185_376,
    });
    expect(await readGgufFile(sharedPath("models", "llama-2-tiny-random.gguf"))).toMatchObject({
      facts: { architecture: "llama", quantization: "F16", contextLength: 4096 },
    });
  });

  it("not a GGUF, not a file, not there: the reason, never a throw", async () => {
    expect(await readGgufFile(sharedPath("models", "README.md"))).toEqual({
      problem: 'not a GGUF file (it starts with "# Ti", not "GGUF")',
      sizeBytes: expect.any(Number),
    });
    expect(await readGgufFile(sharedPath("models"))).toEqual({ problem: "not a file", sizeBytes: null });
    expect(await readGgufFile(sharedPath("models", "nothing.gguf"))).toMatchObject({
      problem: expect.stringMatching(/^cannot read it: ENOENT/),
      sizeBytes: null,
    });
  });

  it("a split model is read whole from its first part: the parts' parameters and sizes added up, a missing part named", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-split-"));
    try {
      // Two whole GGUFs under a split model's names: what is added up is each part's own.
      for (const part of ["00001", "00002"]) copyFileSync(sharedPath("models", "stories260K.gguf"), join(dir, `story-${part}-of-00002.gguf`));
      expect(await readGgufFile(join(dir, "story-00001-of-00002.gguf"))).toEqual({
        facts: { architecture: "llama", params: 2 * 292_800, quantization: "F32", contextLength: 2048 },
        sizeBytes: 2 * 1_185_376,
      });
      copyFileSync(sharedPath("models", "stories260K.gguf"), join(dir, "other-00001-of-00003.gguf"));
      expect(await readGgufFile(join(dir, "other-00001-of-00003.gguf"))).toEqual({
        problem: expect.stringMatching(/^part 2 of 3 \(other-00002-of-00003\.gguf\): cannot read it: ENOENT/),
        sizeBytes: null,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
