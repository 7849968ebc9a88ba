/**
 * What `mallex proxy` loads at its start is what it holds in memory for as long as it runs (its idle RSS
 * is one of the request path's goals in `npm run bench`): code only some commands or some requests need
 * is imported where it is needed. A static import chain quietly brings such code back — the config
 * loader (and the YAML parser under it) came back through a path-display helper, and the engine's
 * installer (execa) through the embedded-engine check — so the built CLI is read here: the proxy's
 * chunk and every chunk it imports statically hold none of them. (The built CLI: npm run build first.)
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { packageRoot } from "./helpers/config-tree.js";

const dir = join(packageRoot, "dist", "cli");
const chunks = join(dir, "chunks");
const text = (file: string) => readFileSync(file, "utf8");

/** A chunk and every chunk it imports statically (`from "./x.js"`, `import "./x.js"`; not `import("./x.js")`). */
function reached(...starts: string[]): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const [, spec] of text(file).matchAll(/(?:\bfrom\s*|^import\s*)["'](\.\/[^"']+)["']/gm)) visit(join(file, "..", spec!));
  };
  for (const start of starts) visit(start);
  return [...seen];
}

/** The chunk esbuild names after a lazily imported module's file (src/cli/commands/proxy.ts: proxy-HASH.js). */
function chunkOf(name: string): string {
  const found = readdirSync(chunks).filter((file) => new RegExp(`^${name}-[A-Z0-9]+\\.js$`).test(file));
  expect(found, name).toHaveLength(1);
  return join(chunks, found[0]!);
}

/** What the proxy must not load at its start, each told by what esbuild writes before a bundled module (`// node_modules/yaml/…`) or by names of its own. */
const NOT_AT_START: Record<string, RegExp> = {
  // Read on the Models tab's first ask (@huggingface/gguf's own names: its quantization table, its local-file option).
  "the GGUF reader": /GGMLFileQuantizationType|allowLocalFile/,
  "the config loader": /^\/\/ src\/config\/load-config\.ts$/m,
  "the YAML parser": /^\/\/ node_modules\/yaml\//m,
  "the config compiler": /^\/\/ src\/compile\/compile-config\.ts$/m,
  // Where a profile runs on the embedded engine, or a server is supervised.
  "the engine's installer": /^\/\/ src\/engine\/install\//m,
  "the supervisor": /^\/\/ src\/supervisor\/create-supervisor\.ts$/m,
  execa: /^\/\/ node_modules\/execa\//m,
};

describe("mallex proxy's start (the built CLI)", () => {
  const atStart = reached(join(dir, "main.js"), chunkOf("proxy"));

  it.each(Object.entries(NOT_AT_START))("does not load %s", (_what, marker) => {
    expect(atStart.length).toBeGreaterThan(3);
    expect(atStart.filter((file) => marker.test(text(file))).map((file) => file.slice(dir.length + 1))).toEqual([]);
  });

  it("each is still in the build, where the command or request that needs it imports it", () => {
    const everything = readdirSync(chunks).map((file) => text(join(chunks, file)));
    for (const [what, marker] of Object.entries(NOT_AT_START))
      expect(
        everything.some((chunk) => marker.test(chunk)),
        what,
      ).toBe(true);
    // The Models tab's lister: a chunk of its own, which reaches the GGUF reader.
    expect(reached(chunkOf("create-models-lister")).some((file) => NOT_AT_START["the GGUF reader"]!.test(text(file)))).toBe(true);
  });
});
