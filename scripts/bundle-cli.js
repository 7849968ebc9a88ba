// Bundles the CLI into dist/cli/: one ES module per command, sharing chunks, so a command loads only
// what it runs. Loading yaml, Handlebars and the rest as ~200 separate modules from node_modules cost
// `mallex compile` about 70 ms of its start-up (`npm run bench` has the numbers). The library entry
// (dist/src/, from tsc) is not bundled: it is what tests and embedders import.
import { rmSync } from "node:fs";
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
  // A native addon with prebuilt binaries per platform: loaded from node_modules, by `mallex engine` only.
  external: ["node-llama-cpp"],
  logLevel: "warning",
});
