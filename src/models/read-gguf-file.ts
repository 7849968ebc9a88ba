import { stat } from "node:fs/promises";
import { gguf } from "@huggingface/gguf";
import { describeMagic, isGgufMagic, readMagic } from "../engine/check-gguf-file.js";
import { describeGguf } from "./describe-gguf.js";
import type { ModelReading } from "./model-entry.js";

/**
 * A GGUF file's facts from its header alone (@huggingface/gguf reads the header's byte ranges, never
 * the weights), or why there are none: not a file, not a GGUF (its first bytes said), a header the
 * parser refused, a truncated file. Never throws.
 */
export async function readGgufFile(path: string): Promise<ModelReading> {
  let size: number;
  try {
    const stats = await stat(path);
    if (!stats.isFile()) return { problem: "not a file", sizeBytes: null };
    size = stats.size;
  } catch (error) {
    return { problem: `cannot read it: ${(error as Error).message}`, sizeBytes: null };
  }
  try {
    const magic = await readMagic(path);
    if (!isGgufMagic(magic)) return { problem: `not a GGUF file (it starts with ${describeMagic(magic)}, not "GGUF")`, sizeBytes: size };
    const described = describeGguf(await gguf(path, { allowLocalFile: true }), size);
    return "problem" in described ? { problem: described.problem, sizeBytes: size } : { facts: described.facts, sizeBytes: size };
  } catch (error) {
    return { problem: `its GGUF header cannot be read: ${(error as Error).message}`, sizeBytes: size };
  }
}
