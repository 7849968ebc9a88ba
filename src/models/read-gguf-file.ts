import { stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { gguf, parseGgufShardFilename } from "@huggingface/gguf";
import { describeMagic, isGgufMagic, readMagic } from "../engine/check-gguf-file.js";
import { describeGguf } from "./describe-gguf.js";
import type { ModelFacts, ModelReading } from "./model-entry.js";

/**
 * A GGUF model's facts from its header alone (@huggingface/gguf reads the header's byte ranges, never
 * the weights), or why there are none: not a file, not a GGUF (its first bytes said), a header the
 * parser refused, a truncated file. A split model (`name-00001-of-00003.gguf`) is read whole: its
 * parts' parameters and sizes added up, its facts from the first part, a missing part said. Never throws.
 */
export async function readGgufFile(path: string): Promise<ModelReading> {
  const split = parseGgufShardFilename(basename(path));
  const total = split === null ? 1 : Number(split.total);
  if (split === null || total <= 1) return readOneFile(path);
  let facts: ModelFacts | undefined;
  let params = 0;
  let sizeBytes = 0;
  for (let part = 1; part <= total; part++) {
    const file = join(dirname(path), `${split.prefix}-${String(part).padStart(5, "0")}-of-${split.total}.gguf`);
    const reading = await readOneFile(file);
    if ("problem" in reading) return { problem: `part ${part} of ${total} (${basename(file)}): ${reading.problem}`, sizeBytes: null };
    facts ??= reading.facts;
    params += reading.facts.params ?? 0;
    sizeBytes += reading.sizeBytes;
  }
  return { facts: { ...facts!, params: params > 0 ? params : null }, sizeBytes };
}

async function readOneFile(path: string): Promise<ModelReading> {
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
