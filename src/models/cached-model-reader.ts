import { readdir, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { parseGgufShardFilename } from "@huggingface/gguf";
import type { ModelFormat, ModelReading } from "./model-entry.js";

export type ModelReader = (path: string, format: ModelFormat) => Promise<ModelReading>;

/**
 * A reader that keeps what it read of each model while its files stay as they were: a GGUF file (each
 * part of a split one), or every file of an MLX folder, by size and modification time. Reading a big
 * vocabulary's GGUF header takes a core for a second or so: the dashboard's Models tab, asked again,
 * reads only what changed. Two askers of the same model at once share one reading; a model not seen in
 * a listing (`forgetAllBut`) is let go, so the reader holds no more than the machine's models.
 */
export function createCachedModelReader(read: ModelReader): ModelReader & { forgetAllBut(paths: Iterable<string>): void } {
  const kept = new Map<string, { print: string; reading: Promise<ModelReading> }>();
  const reader = async (path: string, format: ModelFormat): Promise<ModelReading> => {
    const print = await fingerprint(path, format);
    // A file that cannot be looked at is read each time: its reading says why.
    if (print === undefined) return read(path, format);
    const cached = kept.get(path);
    if (cached?.print === print) return cached.reading;
    const reading = read(path, format);
    kept.set(path, { print, reading });
    return reading;
  };
  return Object.assign(reader, {
    forgetAllBut(paths: Iterable<string>) {
      const seen = new Set(paths);
      for (const path of kept.keys()) if (!seen.has(path)) kept.delete(path);
    },
  });
}

/** The size and modification time of each file the reading reads; undefined when one cannot be looked at. */
async function fingerprint(path: string, format: ModelFormat): Promise<string | undefined> {
  try {
    const files = format === "mlx" ? (await readdir(path)).sort().map((name) => join(path, name)) : ggufParts(path);
    const stats = await Promise.all(files.map((file) => stat(file)));
    return stats.map((s, i) => `${files[i]}:${s.size}:${s.mtimeMs}:${s.ino}`).join("|");
  } catch {
    return undefined;
  }
}

/** The file, or every part of a split GGUF named by its first (read-gguf-file.ts reads them all). */
function ggufParts(path: string): string[] {
  const split = parseGgufShardFilename(basename(path));
  const total = split === null ? 1 : Number(split.total);
  if (split === null || total <= 1) return [path];
  return Array.from({ length: total }, (_, i) => join(dirname(path), `${split.prefix}-${String(i + 1).padStart(5, "0")}-of-${split.total}.gguf`));
}
