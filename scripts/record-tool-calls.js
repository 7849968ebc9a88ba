// `npm run record:tool-calls`: what a real model writes when Claude Code asks it for work, recorded for
// the parsers' corpus (test/unit/tool-parser-corpus/recorded-*.ts). Each prompt is sent through the
// real Claude Code CLI (offline, against a fake API: scripts/claude-code/capture-request.js) to get
// its real first request; mallex's shipped profile then turns that into the exact upstream request,
// trimmed and untrimmed (`trim: false`), as `mallex explain` computes it; the kit's GGUF answers it in
// mallex's embedded engine (one thread), several samples per prompt. Every answer is appended, raw, to
// a JSON-lines file under .cache/ (a run that stops resumes where it stopped).
//
//   node scripts/record-tool-calls.js [--model coder_gguf] [--modes trimmed,untrimmed] [--out FILE]
//
// The samples of one prompt, and the prompts of one mode, share their whole prefix (Claude Code's
// system prompt, tools and reminders; only the user's words and the seed differ), so the engine's
// prompt cache prefills that prefix once per mode: an untrimmed request is ~19,000 tokens, ~14 minutes
// on one thread of a 2-core machine, and every sample after it only its last words.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { captureFirstRequestCached, installedClaudeCode } from "./claude-code/capture-request.js";
import { loadShippedTrimming } from "./claude-code/measure-trimming.js";
import { RECORDING_PROMPTS, SAMPLES } from "./record-tool-calls-prompts.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The shipped profile for the kit's 1.5B coder: what a user of that GGUF gets. */
const PROFILE = "gguf-qwen2.5-coder-1.5b";
/** Enough for any call Claude Code's prompts lead to here; an explanation is cut there (finish_reason says so). */
const MAX_TOKENS = 384;
/** Untrimmed, Claude Code's request with its answer. */
const CONTEXT_SIZE = 24_576;

const { values } = parseArgs({
  options: {
    model: { type: "string", default: "coder_gguf" },
    modes: { type: "string", default: "trimmed,untrimmed" },
    out: { type: "string" },
  },
});

const kit = JSON.parse(readFileSync(join(process.env.MALLEX_MODEL_KIT ?? join(process.env.HOME ?? "", ".cache", "mallex-model-kit"), "kit.json"), "utf8"));
const modelPath = kit[values.model];
if (typeof modelPath !== "string") throw new Error(`the model kit has no ${values.model} (npm run models)`);
const out = values.out ?? join(ROOT, ".cache", "record-tool-calls", `${values.model}.jsonl`);
mkdirSync(dirname(out), { recursive: true });
const done = new Set(
  existsSync(out)
    ? readFileSync(out, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => keyOf(JSON.parse(line)))
    : [],
);

const claude = installedClaudeCode("@anthropic-ai/claude-code");
if (claude === undefined) throw new Error("@anthropic-ai/claude-code is not installed (npm install)");
const trimming = await loadShippedTrimming(ROOT);

/**
 * Each capture runs in a fresh temporary project and HOME, whose names (and the first commit's hash)
 * Claude Code writes into its system prompt: one fixed name each keeps every prefix identical.
 */
function fixNames(body) {
  const text = JSON.stringify(body)
    .replace(/mallex-project-[A-Za-z0-9]{6}/g, "mallex-project-recorded")
    .replace(/mallex-capture-home-[A-Za-z0-9]{6}/g, "mallex-capture-home-recorded")
    .replace(/[0-9a-f]{7} initial commit/g, "0d22c71 initial commit");
  return JSON.parse(text);
}
const requests = [];
for (const prompt of RECORDING_PROMPTS) {
  const capture = await captureFirstRequestCached({ bin: claude.bin, version: claude.version, prompt: prompt.text });
  const body = fixNames(capture.body);
  requests.push({ prompt, body });
  log(`captured ${prompt.id}: ${JSON.stringify(body).length} chars`);
}

const { createEngineApp } = await import("#dist/engine/create-engine-app.js");
const { loadEngine } = await import("#dist/engine/load-engine.js");
// node-llama-cpp from this checkout (its devDependency), as the engine's tests load it.
const engine = await loadEngine({ nodeLlamaCpp: await import("node-llama-cpp"), modelPath, threads: 1, contextSize: CONTEXT_SIZE, gpuLayers: 0 });
const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
try {
  for (const mode of values.modes.split(",")) {
    for (const sample of SAMPLES) {
      for (const { prompt, body } of requests) {
        const record = { model: values.model, mode, prompt: prompt.id, sample: sample.name };
        if (done.has(keyOf(record))) continue;
        const upstream = trimming.upstream(body, PROFILE, { trim: mode === "trimmed" });
        const started = performance.now();
        const request = {
          ...upstream,
          stream: false,
          max_tokens: MAX_TOKENS,
          temperature: sample.temperature,
          ...(sample.seed === undefined ? {} : { seed: sample.seed }),
        };
        delete request.stream_options;
        const response = await app.fetch(new Request("http://engine/v1/chat/completions", { method: "POST", body: JSON.stringify(request) }));
        const answer =
          /** @type {{ choices: { message: { content: string | null; tool_calls?: unknown[] }; finish_reason: string }[]; usage?: { prompt_tokens?: number } }} */ (
            await response.json()
          );
        if (!response.ok) throw new Error(`${mode} ${prompt.id}: the engine answered ${response.status}: ${JSON.stringify(answer).slice(0, 500)}`);
        const choice = answer.choices[0];
        const line = {
          ...record,
          expect: prompt.expect,
          text: choice.message.content ?? "",
          ...(choice.message.tool_calls?.length ? { tool_calls: choice.message.tool_calls } : {}),
          finish_reason: choice.finish_reason,
          usage: answer.usage,
          ms: Math.round(performance.now() - started),
          tools: (upstream.tools ?? []).map((tool) => tool.function.name),
        };
        appendFileSync(out, `${JSON.stringify(line)}\n`);
        log(`${mode} ${prompt.id} ${sample.name}: ${line.ms} ms, ${answer.usage?.prompt_tokens} prompt tokens, ${JSON.stringify(line.text.slice(0, 80))}`);
      }
    }
  }
} finally {
  await engine.dispose();
}

function keyOf(record) {
  return `${record.model} ${record.mode} ${record.prompt} ${record.sample}`;
}

function log(line) {
  console.error(`${new Date().toISOString().slice(11, 19)} ${line}`);
}
