// Builds the dashboard mallex serves at /ui into dist/ui/: the page's TypeScript (ui/src/) bundled
// into one browser script, beside its HTML and CSS. No framework and no CDN: the page loads nothing
// from anywhere but the mallex that serves it.
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = `${root}/dist/ui`;

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
await build({
  absWorkingDir: root,
  entryPoints: ["ui/src/main.ts"],
  outfile: `${outdir}/app.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) copyFileSync(`${root}/ui/${file}`, `${outdir}/${file}`);
