// `node bench/trim-cost.js [checkout]`: trimRequest alone (no prefix cache) on Claude Code's captured
// requests, with a checkout's dist/ and generated/ (default: this one), to compare two checkouts'
// request-path cost (e.g. before and after the rules moved to re2js). Needs `npm run build` there.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/fixtures/claude-code/", import.meta.url));
const { trimRequest, trimPlanFor, loadTemplates } = await import(`${repo}/dist/src/index.js`);
const table = JSON.parse(readFileSync(`${repo}/generated/routing-table.json`, "utf8"));
const templates = await loadTemplates(`${repo}/generated`);
console.log("| request | profile | first | p50 | min |\n|---|---|---|---|---|");
for (const name of ["main-request-2plus2.json", "tool-use-followup.json", "main-request-sonnet-4-6-full-prompt.json"]) {
  const body = JSON.parse(readFileSync(`${shared}${name}`, "utf8")).body;
  for (const profileName of ["qwen2.5-coder-7b", "qwen3-coder-30b"]) {
    const plan = trimPlanFor(table, table.profiles[profileName]);
    const times = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      trimRequest(body, plan, templates, { userAgent: "claude-cli/2.1.197 (external, cli)" });
      times.push(performance.now() - started);
    }
    const first = times[0];
    times.sort((a, b) => a - b);
    console.log(`| ${name} | ${profileName} | ${first.toFixed(1)} ms | ${times[15].toFixed(1)} ms | ${times[0].toFixed(1)} ms |`);
  }
}
