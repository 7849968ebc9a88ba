// A new Claude Code session's first request on the model kit's real coder (Qwen2.5-Coder-1.5B, Q4_K_M)
// in mallex's embedded engine: how much of its prompt the engine's cache already holds, and its time to
// first token, with the session's context (directory, date, git status, CLAUDE.md) before the tools
// (one system message, as mallex sent it before) and after them (a system message of its own), after
// another session's first request or after the warm-up mallex sends a server that just became ready,
// prefilled or read back from the slot file an earlier start saved.
// `npm run bench:new-session`; needs the model kit (`npm run models`) and ../shared.
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as nodeLlamaCpp from "node-llama-cpp";
import { ensureCompiled } from "#dist/compile/ensure-compiled.js";
import { createEngineApp } from "#dist/engine/create-engine-app.js";
import { loadEngine } from "#dist/engine/load-engine.js";
import { explainRequest } from "#dist/pipeline/explain-request.js";
import { createStablePrefixes } from "#dist/observe/stable-prefixes.js";
import { loadTemplates } from "#dist/templates/load-templates.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const shared = process.env.MALLEX_SHARED_DIR ?? fileURLToPath(new URL("../../shared/", import.meta.url));
const kitDir = process.env.MALLEX_MODEL_KIT ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mallex-model-kit");

/** Claude Code's captured first request, and the same request from another repository, day, commit and CLAUDE.md. */
function sessions() {
  const a = JSON.parse(readFileSync(join(shared, "fixtures/claude-code/main-request-2plus2.json"), "utf8")).body;
  const b = JSON.parse(
    JSON.stringify(a)
      .replaceAll("tiny-repo", "billing-service")
      .replaceAll("2026-11-21", "2026-11-24")
      .replaceAll("a36f7cd initial commit", "9c1e2d4 add invoice totals")
      .replaceAll("This is a tiny test repository used to capture Claude Code traffic.", "Invoices and totals; run the tests with npm test."),
  );
  return { a, b };
}

/** A slot action (slot-actions.ts; llama-server's own on a server), timed: its answer's status and body. */
async function slotAction(app, action, filename) {
  const started = performance.now();
  const request = new Request(typeof app === "string" ? `${app.replace(/\/v1$/, "")}/slots/0?action=${action}` : `http://engine/slots/0?action=${action}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ filename }),
  });
  const response = typeof app === "string" ? await fetch(request) : await app.fetch(request);
  // A server without slot actions answers otherwise: mlx_lm.server's 404 is "Not Found", though it says JSON.
  const text = await response.text();
  const body = response.status === 200 ? JSON.parse(text) : { message: text };
  return { status: response.status, body, ms: performance.now() - started };
}

/** One streamed request of one token to the engine's app, or to a server's base URL: its prompt and cached tokens and the time to its answer. */
async function ask(app, body) {
  const started = performance.now();
  // A server's own model, whatever the profile names (mlx_lm.server would fetch a model it is named).
  const { model: _model, ...rest } = body;
  const request = new Request(typeof app === "string" ? `${app}/chat/completions` : "http://engine/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...rest, stream: true, stream_options: { include_usage: true }, max_tokens: 1, temperature: 0 }),
  });
  const response = typeof app === "string" ? await fetch(request) : await app.fetch(request);
  if (response.status !== 200) throw new Error(`engine answered ${response.status}: ${await response.text()}`);
  const text = await response.text();
  const ms = performance.now() - started;
  const usage = text
    .split("\n\n")
    .map((event) => event.replace(/^data: /, ""))
    .filter((data) => data.startsWith("{"))
    .map((data) => JSON.parse(data))
    .find((chunk) => chunk.usage)?.usage;
  return { ms, prompt: usage?.prompt_tokens ?? 0, cached: usage?.prompt_tokens_details?.cached_tokens ?? 0 };
}

/**
 * The same on a model server already running (mlx_lm.server, llama-server) at `backendUrl`: its cache
 * cannot be emptied from outside, so each order gets sessions of its own, one after another (a, then b;
 * c, then d; the warm-up, then e), and "cold" is the first of each pair.
 */
export async function benchNewSessionOn(backendUrl) {
  const [a, b, c, d, e] = ["tiny-repo", "billing-service", "web-shop", "report-tool", "cli-kit"].map((name) => sessionFrom(name));
  const { profile, before, upstream, prefixes } = await prepare(a);
  const rows = [
    { label: "context before the tools (one system message) | another session", first: upstream(a, before), then: upstream(b, before) },
    { label: "context after the tools (its own system message) | another session", first: upstream(c, profile), then: upstream(d, profile) },
    { label: "context after the tools | the warm-up of a server that became ready", first: prefixes.warmRequest(profile), then: upstream(e, profile) },
    { label: "context after the tools | the same repository's session the day before", first: upstream(e, profile), then: upstream(nextDayFrom(e), profile) },
  ];
  const lines = [
    `### A new session's first request on ${backendUrl}`,
    "",
    `\`node bench/new-session.js --backend-url ${backendUrl}\`: the small profile's first request of one session, then another's.`,
    "",
    "| order of the prompt | before the new session | first: prompt tokens (cached) | then: prompt tokens | from the cache | time to first token | first's |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const row of rows) {
    const first = await ask(backendUrl, row.first);
    const then = await ask(backendUrl, row.then);
    lines.push(
      `| ${row.label} | ${first.prompt} (${first.cached}) | ${then.prompt} | ${then.cached} (${((100 * then.cached) / then.prompt).toFixed(0)}%) | ${(then.ms / 1000).toFixed(2)} s | ${(first.ms / 1000).toFixed(2)} s |`,
    );
  }
  // A new start, where the server keeps slots (--slot-save-path): the warm-up saved, the slot emptied, read back.
  const filename = "bench-new-session.bin";
  const erased = await slotAction(backendUrl, "erase");
  if (erased.status !== 200) {
    lines.push("", `No slot action here (${erased.status}: a llama-server started with --slot-save-path measures a restored slot).`);
    return lines.join("\n");
  }
  const warm = await ask(backendUrl, prefixes.warmRequest(profile));
  await slotAction(backendUrl, "save", filename);
  await slotAction(backendUrl, "erase");
  const restored = await slotAction(backendUrl, "restore", filename);
  const f = sessionFrom("api-gateway");
  const then = await ask(backendUrl, upstream(f, profile));
  lines.push(
    `| context after the tools | the warm-up's slot saved, emptied and read back (a new start) | ${restored.body.n_restored} (restored) | ${then.prompt} | ${then.cached} (${((100 * then.cached) / then.prompt).toFixed(0)}%) | ${(then.ms / 1000).toFixed(2)} s | ${(restored.ms / 1000).toFixed(3)} s (prefilled: ${(warm.ms / 1000).toFixed(2)} s) |`,
  );
  return lines.join("\n");
}

/**
 * The shipped config compiled, its small 1.5B profile (and the same with the session's context in the
 * system prompt, as before), how each trims a request, and the stable prefix `first` begins with.
 */
async function prepare(first) {
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-session-"));
  const compiled = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir: join(home, "generated"), cwd: root, env: {}, packageRoot: root });
  const table = compiled.table;
  const templates = await loadTemplates(join(home, "generated"));
  const profile = table.profiles["gguf-qwen2.5-coder-1.5b"];
  /** @returns {import("#dist/translate/openai-types.js").OpenAIChatRequest} a local profile's upstream request */
  const upstream = (request, p) => /** @type {any} */ (explainRequest(request, { table, profile: p, templates }).upstream);
  const prefixes = createStablePrefixes({ file: join(home, "prefixes.json"), onError: (m) => console.error(m) });
  prefixes.remember(profile, upstream(first, profile));
  return { profile, before: { ...profile, oneSystemMessage: true }, upstream, prefixes };
}

/** The captured first request as the same repository's next session: the next day, after a commit, with a file changed. */
function nextDayFrom(session) {
  return JSON.parse(
    JSON.stringify(session)
      .replaceAll("2026-11-21", "2026-11-22")
      .replaceAll("(clean)", "M app.js")
      .replaceAll("a36f7cd initial commit", "9c1e2d4 add totals\\na36f7cd initial commit"),
  );
}

/** The captured first request as another repository's session: its name, and a day and commit of its own. */
function sessionFrom(name) {
  const { a } = sessions();
  const day = String(10 + name.length).padStart(2, "0");
  return JSON.parse(
    JSON.stringify(a)
      .replaceAll("tiny-repo", name)
      .replaceAll("2026-11-21", `2026-11-${day}`)
      .replaceAll("a36f7cd initial commit", `${name.length}c1e2d4 start ${name}`),
  );
}

export async function benchNewSession({ runs = 2 } = {}) {
  const kitFile = join(kitDir, "kit.json");
  if (!existsSync(kitFile)) return `### A new session's first request\n\nskipped: needs the model kit (npm run models; not found in ${kitDir})`;
  const kit = JSON.parse(readFileSync(kitFile, "utf8"));
  const { a, b } = sessions();
  const { profile, before, upstream, prefixes } = await prepare(a);

  const variants = [
    { label: "context before the tools (one system message), after another session", first: upstream(a, before), then: upstream(b, before) },
    { label: "context after the tools (its own system message), after another session", first: upstream(a, profile), then: upstream(b, profile) },
    {
      label: "context after the tools, after the same repository's session the day before (a file changed, a commit since)",
      first: upstream(a, profile),
      previous: "the session before",
      then: upstream(nextDayFrom(a), profile),
    },
    {
      label: "context after the tools, after the warm-up of a server that became ready",
      first: prefixes.warmRequest(profile),
      warm: "prefilled",
      then: upstream(b, profile),
    },
    {
      label: "context after the tools, after the warm-up's slot read back from the file an earlier start saved",
      restore: true,
      warm: "read back",
      then: upstream(b, profile),
    },
  ];
  const slotDir = mkdtempSync(join(tmpdir(), "mallex-bench-slots-"));
  const filename = "warm.bin";
  const rows = [];
  for (const variant of variants) {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const engine = await loadEngine({ nodeLlamaCpp, modelPath: kit.coder_gguf, contextSize: 8192, gpuLayers: 0 });
      try {
        const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now(), slotSaveDir: slotDir });
        const cold = await ask(app, variant.then);
        await slotAction(app, "erase");
        let first;
        if (variant.restore) {
          // The earlier start: its warm-up prefilled, then saved (on this engine, emptied after).
          if (!existsSync(join(slotDir, filename))) {
            await ask(app, prefixes.warmRequest(profile));
            await slotAction(app, "save", filename);
            await slotAction(app, "erase");
          }
          first = await slotAction(app, "restore", filename);
        } else {
          first = await ask(app, variant.first);
        }
        const then = await ask(app, variant.then);
        samples.push({ cold, first, then, threads: engine.description });
      } finally {
        await engine.dispose();
      }
    }
    rows.push({ variant, samples });
  }
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)];
  const lines = [
    "### A new session's first request on the real 1.5B coder: prompt tokens from the cache and time to first token",
    "",
    `\`npm run bench:new-session\` (${runs} runs per row, each on a fresh engine: ${rows[0].samples[0].threads}). Claude Code 2.1.197's captured first request (main-request-2plus2.json) trimmed for the small profile gguf-qwen2.5-coder-1.5b, then the same request from another repository, day, commit and CLAUDE.md (or from the same repository the next day, a file changed and a commit since): the new session. "Cold" is that request on an empty cache; ratios are against it, in the same run.`,
    "",
    "| order of the prompt | before the new session | its prompt tokens | from the cache | time to first token | the request before it | cold | faster than cold | at a new start: warm-up + first token |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const { variant, samples } of rows) {
    const then = median(samples.map((s) => s.then.ms));
    const cold = median(samples.map((s) => s.cold.ms));
    const first = median(samples.map((s) => s.first.ms));
    const { prompt, cached } = samples[0].then;
    const [order, after] = variant.label.split(", after ");
    // A session whose request comes as the server becomes ready waits for the warm-up (call-backend.ts), then prefills the rest.
    const atStart = variant.warm === undefined ? "" : `${((first + then) / 1000).toFixed(2)} s (${(cold / (first + then)).toFixed(1)}× sooner than cold)`;
    lines.push(
      `| ${order} | ${after} | ${prompt.toLocaleString("en-US")} | ${cached.toLocaleString("en-US")} (${((100 * cached) / prompt).toFixed(0)}%) | ${(then / 1000).toFixed(2)} s | ${variant.warm ?? variant.previous ?? "another session"}: ${(first / 1000).toFixed(variant.restore ? 3 : 2)} s | ${(cold / 1000).toFixed(2)} s | ${(cold / then).toFixed(1)}× | ${atStart} |`,
    );
  }
  return lines.join("\n");
}

/**
 * A session continued at a new start (`claude --continue`, each its own `mallex run`): its second
 * request after the engine was stopped and started again, with what the start read back into the slot —
 * the warm-up's prefix (the file the warm-up saved) or the last conversation (the file saved as the
 * engine stopped, keep-last-conversation.ts) — against the same request on an empty cache.
 */
export async function benchContinuedSession({ runs = 2 } = {}) {
  const kitFile = join(kitDir, "kit.json");
  if (!existsSync(kitFile)) return `### A session continued at a new start\n\nskipped: needs the model kit (npm run models; not found in ${kitDir})`;
  const kit = JSON.parse(readFileSync(kitFile, "utf8"));
  const { a } = sessions();
  const { profile, upstream, prefixes } = await prepare(a);
  const opening = upstream(a, profile);
  const continued = upstream({ ...a, messages: [...a.messages, { role: "assistant", content: "4" }, { role: "user", content: "And 3+3?" }] }, profile);
  const slotDir = mkdtempSync(join(tmpdir(), "mallex-bench-continued-"));
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const engine = await loadEngine({ nodeLlamaCpp, modelPath: kit.coder_gguf, contextSize: 8192, gpuLayers: 0 });
    try {
      const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now(), slotSaveDir: slotDir });
      const cold = await ask(app, continued);
      await slotAction(app, "erase");
      // The earlier start: its warm-up saved, then the session's first request, saved as the engine stopped.
      await ask(app, prefixes.warmRequest(profile));
      await slotAction(app, "save", "warm.bin");
      await ask(app, opening);
      const kept = await slotAction(app, "save", "warm.last.bin");
      const sample = { cold, kept: kept.body.n_saved, threads: engine.description };
      for (const [name, file] of [
        ["prefix", "warm.bin"],
        ["conversation", "warm.last.bin"],
      ]) {
        await slotAction(app, "erase");
        const restored = await slotAction(app, "restore", file);
        sample[name] = { restored, then: await ask(app, continued) };
      }
      samples.push(sample);
    } finally {
      await engine.dispose();
    }
  }
  const median = (values) => [...values].sort((x, y) => x - y)[Math.floor((values.length - 1) / 2)];
  const cold = median(samples.map((s) => s.cold.ms));
  const row = (name, label) => {
    const { prompt, cached } = samples[0][name].then;
    const ms = median(samples.map((s) => s[name].then.ms));
    const restored = median(samples.map((s) => s[name].restored.ms));
    return `| ${label} | ${samples[0][name].restored.body.n_restored} in ${(restored / 1000).toFixed(3)} s | ${prompt.toLocaleString("en-US")} | ${cached.toLocaleString("en-US")} (${((100 * cached) / prompt).toFixed(0)}%) | ${(ms / 1000).toFixed(2)} s | ${(cold / 1000).toFixed(2)} s | ${(cold / ms).toFixed(1)}× |`;
  };
  return [
    "### A session continued at a new start: its next request with the prefix or the last conversation read back",
    "",
    `\`npm run bench:new-session\` (${runs} runs, each on a fresh engine: ${samples[0].threads}). Claude Code 2.1.197's captured first request trimmed for gguf-qwen2.5-coder-1.5b, answered and saved as mallex saves it when the engine stops; the slot emptied, as at a new start; then the same conversation with an answer and one more user turn. What the start reads back into the slot: the warm-up's file, or the last conversation saved as the engine stopped (${samples[0].kept} tokens). "Cold" is that request on an empty cache, in the same run.`,
    "",
    "| read back at the start | tokens, time | its prompt tokens | from the cache | time to first token | cold | faster than cold |",
    "|---|---|---|---|---|---|---|",
    row("prefix", "the warm-up's prefix (before)"),
    row("conversation", "the last conversation, kept as the engine stopped"),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const at = process.argv.indexOf("--backend-url");
  console.log(at > 0 ? await benchNewSessionOn(process.argv[at + 1] ?? "") : `${await benchNewSession()}\n\n${await benchContinuedSession()}`);
}
