// `node bench/trim-cost.js [checkout]`: trimRequest on Claude Code's captured requests with a checkout's
// dist/ and generated/ (default: this one), to compare two checkouts' request-path cost (e.g. before and
// after the rules moved to re2js). Needs `npm run build` there. Two columns: with nothing cached (every
// text filtered and every prefix trimmed), and as the proxy runs it from a conversation's second request
// on (its prefix cache, and with it the remembered filter outcomes, warm).
// Where the checkout has src/trim/run-steps.js, two more, warm: the proxy's own way to trim (trimToFit
// over trimRequestSteps, driven by runStepsYielding, which gives the event loop a turn every 10 ms), and
// what the other way to keep filters off the event loop would add before any trimming: the request to a
// worker thread and the trimmed result back (structured clone both ways, and the thread hops).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";

const repo = process.argv[2] ?? fileURLToPath(new URL("..", import.meta.url));
const shared = fileURLToPath(new URL("../../shared/fixtures/claude-code/", import.meta.url));
// Typed as this checkout's library: the one the bench is written against.
/** @type {typeof import("#dist/index.js")} */
const { trimRequest, trimPlanFor, loadTemplates } = await import(`${repo}/dist/src/index.js`);
/** @type {typeof import("#dist/trim/prefix-cache.js")} */
const { createPrefixCache } = await import(`${repo}/dist/src/trim/prefix-cache.js`);
/** @type {typeof import("#dist/trim/run-steps.js") | undefined} */
const steps = await import(`${repo}/dist/src/trim/run-steps.js`).catch(() => undefined);
/** @type {(typeof steps & typeof import("#dist/trim/trim-request.js") & typeof import("#dist/trim/plan-trim.js")) | undefined} */
const seams = steps && {
  ...steps,
  ...(await import(`${repo}/dist/src/trim/trim-request.js`)),
  // trimToFit lived in trim-to-fit.js before it joined plan-trim.js.
  ...(await import(`${repo}/dist/src/trim/trim-to-fit.js`).catch(() => import(`${repo}/dist/src/trim/plan-trim.js`))),
};
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

const p50 = async (run) => {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[RUNS / 2].toFixed(2);
};

/** A worker that answers each request with the trimmed result it was given: the least a trim on a worker thread costs. */
function echoWorker() {
  const code =
    "const { parentPort } = require('node:worker_threads'); let result; parentPort.on('message', (m) => { if (m.result !== undefined) result = m.result; parentPort.postMessage(m.result !== undefined ? 0 : result); });";
  const worker = new Worker(code, { eval: true });
  const ask = (message) => new Promise((resolve) => (worker.once("message", resolve), worker.postMessage(message)));
  return {
    /** Gives the worker the result it answers with (not timed). */
    holding: (result) => ask({ result }),
    /** The request there (one structured clone), the result back (another), and the two hops. */
    roundTrip: (request) => ask({ request }),
    close: () => worker.terminate(),
  };
}

const worker = seams && echoWorker();
const extra = seams ? " as the proxy trims (Steps, 10 ms slices), warm, p50 | worker thread's round trip (request there, result back), p50 |" : "";
console.log(`| request | profile | nothing cached, p50 | caches warm, p50 |${extra}\n|---|---|---|---|${seams ? "---|---|" : ""}`);
for (const name of ["main-request-2plus2.json", "tool-use-followup.json", "main-request-sonnet-4-6-full-prompt.json"]) {
  const body = JSON.parse(readFileSync(`${shared}${name}`, "utf8")).body;
  for (const profileName of ["qwen2.5-coder-7b", "qwen3-coder-30b"]) {
    const profile = table.profiles[profileName];
    const plan = trimPlanFor(table, profile);
    const cold = await p50(() => trimRequest(body, plan, templates, options));
    const cached = { ...options, cache: createPrefixCache(), source: sourceOf(body) };
    const result = trimRequest(body, plan, templates, cached);
    const warm = await p50(() => trimRequest(body, plan, templates, cached));
    let more = "";
    if (seams && worker) {
      const proxyWay = () =>
        seams.runStepsYielding(
          seams.trimToFit((size) => seams.trimRequestSteps(body, trimPlanFor(table, profile, size), templates, cached), profile.size),
          { sliceMs: seams.STEP_SLICE_MS, now: () => performance.now() },
        );
      const stepped = await p50(proxyWay);
      await worker.holding(result);
      const hop = await p50(() => worker.roundTrip(body));
      more = ` ${stepped} ms | ${hop} ms |`;
    }
    console.log(`| ${name} | ${profileName} | ${cold} ms | ${warm} ms |${more}`);
  }
}
await worker?.close();
