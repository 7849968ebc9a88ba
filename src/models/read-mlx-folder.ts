import { open, readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { describeMlx, type WeightsFile } from "./describe-mlx.js";
import type { ModelReading } from "./model-entry.js";
import { MAX_SAFETENSORS_HEADER_BYTES, parseSafetensorsHeader, type SafetensorsHeader } from "./parse-safetensors-header.js";

/**
 * An MLX model folder's facts from its config.json and the headers of its *.safetensors (the first
 * bytes of each, never the weights), or why there are none. Its size is its weights'. Never throws.
 */
export async function readMlxFolder(folder: string): Promise<ModelReading> {
  let names: string[];
  try {
    names = (await readdir(folder)).filter((name) => name.endsWith(".safetensors")).sort();
  } catch (error) {
    return { problem: `cannot read the folder: ${(error as Error).message}`, sizeBytes: null };
  }
  const files: WeightsFile[] = [];
  let sizeBytes = 0;
  for (const name of names) {
    const path = join(folder, name);
    // A cache snapshot's files are links into blobs/: stat and open follow them.
    const size = await stat(path).then(
      (s) => (s.isFile() ? s.size : undefined),
      () => undefined,
    );
    if (size === undefined) return { problem: `${name} cannot be read (a link to a blob that is not there?)`, sizeBytes: null };
    sizeBytes += size;
    const header = await readSafetensorsHeader(path, size);
    if (typeof header === "string") return { problem: `${name}: ${header}`, sizeBytes };
    files.push({ name, size, header });
  }
  let config: unknown;
  try {
    config = JSON.parse(await readFile(join(folder, "config.json"), "utf8"));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
    return { problem: missing ? "it has no config.json" : `its config.json cannot be read: ${(error as Error).message}`, sizeBytes };
  }
  const described = describeMlx(config, files);
  return "problem" in described ? { problem: described.problem, sizeBytes } : { facts: described.facts, sizeBytes };
}

async function readSafetensorsHeader(path: string, size: number): Promise<SafetensorsHeader | string> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (error) {
    return `cannot be read: ${(error as Error).message}`;
  }
  try {
    const prefix = Buffer.alloc(8);
    if ((await handle.read(prefix, 0, 8, 0)).bytesRead < 8) return "too short to be a safetensors file";
    const length = prefix.readBigUInt64LE(0);
    if (length > BigInt(Math.min(MAX_SAFETENSORS_HEADER_BYTES, size - 8))) return "truncated, or not a safetensors file (its header length is past its end)";
    const header = Buffer.alloc(Number(length));
    await handle.read(header, 0, header.length, 8);
    return parseSafetensorsHeader(header.toString("utf8"), header.length);
  } catch (error) {
    return `cannot be read: ${(error as Error).message}`;
  } finally {
    await handle.close();
  }
}
