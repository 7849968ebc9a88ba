/**
 * A model as a person names it, from how mallex was given it: a GGUF by its file name
 * (`~/models/llama-2-tiny-random-chatml.gguf` → `llama-2-tiny-random-chatml`, a split GGUF without its
 * `-00001-of-00003`), a Hugging Face quantization tag by its repository and tag
 * (`hf:bartowski/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M` → `Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M`),
 * anything else by its last path part (`mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit` →
 * `Qwen3-Coder-30B-A3B-Instruct-4bit`). Only letters, digits and `._:+-` are kept (a model name goes
 * into Claude Code's environment and header), and at most MAX_CHARS of them.
 */
export function modelShortName(model: string): string {
  const withoutQuery = model.trim().replace(/[?#].*$/, "");
  const last =
    withoutQuery
      .split(/[\\/]/)
      .filter((part) => part !== "")
      .at(-1) ?? withoutQuery;
  const name = last
    .replace(/^hf:/i, "")
    .replace(/-\d{5}-of-\d{5}(?=\.gguf$)/i, "")
    .replace(/\.gguf$/i, "")
    .replace(/[^A-Za-z0-9._:+-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return (name === "" ? "model" : name).slice(0, MAX_CHARS);
}

const MAX_CHARS = 80;
