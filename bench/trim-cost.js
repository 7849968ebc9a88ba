// `node bench/trim-cost.js [checkout]`: trimRequest on Claude Code's captured requests with a checkout's
// dist/ and generated/ (default: this one), to compare two checkouts' request-path cost (e.g. before and
// after the rules moved to re2js). Needs `npm run build` there. Two columns: with nothing cached (every
// text filtered and every prefix trimmed), and as the proxy runs it from a conversation's second request
// on (its prefix cache, and with it the remembered filter outcomes, warm).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const repo = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/fixtures/claude-code/", import.meta.url));
const { trimRequest, trimPlanFor, loadTemplates } = await import(`${repo}/dist/src/index.js`);
const { createPrefixCache } = await import(`${repo}/dist/src/trim/prefix-cache.js`);
const table = JSON.parse(readFileSync(`${repo}/generated/routing-table.json`, "utf8"));
const templates = await loadTemplates(`${repo}/generated`);
const options = { userAgent: "claude-cli/2.1.197 (external, cli)" };
const RUNS = 40;

/** What the proxy's body scan hands trimRequest: the parts' JSON text and sizes. */
const sourceOf = (body) => ({
  ...(body.system === undefined ? {} : { systemJson: JSON.stringify(body.system) }),
  ...(body.tools === undefined ? {} : { toolsJson: JSON.stringify(body.tools) }),
  chars: { system: JSON.stringify(body.system ?? "").length, messages: JSON.stringify(body.messages).length, tools: JSON.stringify(body.tools ?? []).length },
});

const p50 = (run) => {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[RUNS / 2].toFixed(2);
};

console.log(`| request | profile | nothing cached, p50 | caches warm, p50 |\n|---|---|---|---|`);
for (const name of ["main-request-2plus2.json", "tool-use-followup.json", "main-request-sonnet-4-6-full-prompt.json"]) {
  const body = JSON.parse(readFileSync(`${shared}${name}`, "utf8")).body;
  for (const profileName of ["qwen2.5-coder-7b", "qwen3-coder-30b"]) {
    const plan = trimPlanFor(table, table.profiles[profileName]);
    const cold = p50(() => trimRequest(body, plan, templates, options));
    const cached = { ...options, cache: createPrefixCache(), source: sourceOf(body) };
    trimRequest(body, plan, templates, cached);
    const warm = p50(() => trimRequest(body, plan, templates, cached));
    console.log(`| ${name} | ${profileName} | ${cold} ms | ${warm} ms |`);
  }
}
