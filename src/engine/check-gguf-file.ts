import { open, stat } from "node:fs/promises";
import { MallexError } from "../shared/mallex-error.js";

/** Every GGUF file (each part of a split one too) starts with these four bytes. */
const GGUF_MAGIC = Buffer.from("GGUF", "latin1");

/** The first four bytes of a file: enough to tell a GGUF from an HTML error page or a safetensors file. */
export async function readMagic(path: string): Promise<Buffer> {
  const handle = await open(path, "r");
  try {
    const buffer = Buffer.alloc(GGUF_MAGIC.length);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export function isGgufMagic(magic: Buffer): boolean {
  return magic.equals(GGUF_MAGIC);
}

/** How the first bytes read, for the sentence that says a file is not GGUF ("<!DO", "PK\x03\x04"). */
export function describeMagic(magic: Buffer): string {
  return JSON.stringify(magic.toString("latin1"));
}

/**
 * Checks a local model file before llama.cpp sees it, whose own message for a missing or foreign
 * file is a bare "failed to load model".
 */
export async function checkGgufFile(path: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(path)).isFile();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") throw new MallexError("E_MODEL_SOURCE", `there is no model file at ${path}`, { cause: error });
    throw new MallexError("E_MODEL_SOURCE", `cannot read the model file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!isFile) throw new MallexError("E_MODEL_SOURCE", `${path} is not a file: give the path of a .gguf file`);
  let magic: Buffer;
  try {
    magic = await readMagic(path);
  } catch (error) {
    throw new MallexError("E_MODEL_SOURCE", `cannot read the model file ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!isGgufMagic(magic)) {
    throw new MallexError(
      "E_MODEL_SOURCE",
      `${path} is not a GGUF model file: it starts with ${describeMagic(magic)}, not "GGUF" (llama.cpp loads only .gguf files; convert other formats with llama.cpp's convert_hf_to_gguf.py)`,
    );
  }
}
