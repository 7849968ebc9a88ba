// Bundles the CLI into dist/cli/: one ES module per command, sharing chunks, so a command loads only
// what it runs. Loading yaml, Handlebars and the rest as ~200 separate modules from node_modules cost
// `mallex compile` about 70 ms of its start-up (`npm run bench` has the numbers). The library entry
// (dist/src/, from tsc) is not bundled: it is what tests and embedders import.
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}/dist/cli`;

rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: "src/cli/index.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  chunkNames: "chunks/[name]-[hash]",
  // Bundled CommonJS dependencies still require() Node's built-ins.
  banner: { js: 'import { createRequire as __mallexCreateRequire } from "node:module";\nconst require = __mallexCreateRequire(import.meta.url);' },
  // A native addon with prebuilt binaries per platform, never bundled: `mallex engine` loads it by
  // path from where it is installed (src/engine/install/import-engine.ts); src/ names it in types only.
  external: ["node-llama-cpp"],
  plugins: [ofetchOnGlobalFetch()],
  logLevel: "warning",
});

/**
 * ofetch's `node` entry wraps globalThis.fetch too on Node ≥ 18, but imports node-fetch-native (a
 * node-fetch polyfill, node:https with it) on the way: about 12 MB of RSS for code `mallex proxy`
 * never runs. The bundle takes ofetch's plain entry, the one every other runtime gets.
 */
function ofetchOnGlobalFetch() {
  const require = createRequire(import.meta.url);
  const plain = require.resolve("ofetch/package.json").replace(/package\.json$/, "dist/index.mjs");
  return {
    name: "ofetch-on-global-fetch",
    setup(build) {
      build.onResolve({ filter: /^ofetch$/ }, () => ({ path: plain }));
    },
  };
}
