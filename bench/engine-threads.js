// `npm run bench:engine-threads`: the embedded engine's prefill and decode speed by CPU thread count,
// idle and with every core busy, against llama.cpp's own llama-server on the same GGUF, context and
// threads; and the same engine through `mallex proxy --embedded`. Three real processes per thread
// count, started as a user starts them: `mallex engine` (OpenAI API), `mallex proxy --embedded`
// (Anthropic API; it starts its own engine) and llama-server (built by scripts/build-llama-server.sh,
// as CI does); and node-llama-cpp alone in this process, to tell its own speed from mallex's. Runs are interleaved in a rotating order, so the machine's noise falls on all alike;
// every prompt starts with its own run number, so no server reuses a cached prefix.
//
//
// Reading the llama-server ratio on the default model: stories260K's attention heads are 8 wide
// (embedding 64 / 8 heads). node-llama-cpp's prebuilt binary loads ggml's best CPU variant, AVX-512
// on a CPU that has it, whose tinyBLAS takes the K·Q product only when the head width is a multiple
// of 16 (ggml/src/ggml-cpu/llamafile/sgemm.cpp, `k % KN`); at 8 it falls back to ggml_vec_dot_f16, and
// prefill runs at about half of llama-server's, built here without GGML_NATIVE (AVX2, KN 8). The same
// binary with the AVX-512 variants removed prefilled as fast as llama-server. Heads 64 or 128 wide, as
// in real models, take tinyBLAS on both, so the prefill gap here belongs to this model, not to mallex.
//
// So the default run measures a second model too: a GGUF of a small real model's shape (embedding 1024,
// 16 heads 64 wide, 4 layers, Q8_0) with random weights and llama-2's tokenizer, written at bench time
// by scripts/make-bench-gguf.py (llama.cpp's gguf-py) and cached in .cache/bench-models. Its tokens
// cost milliseconds, not the ~1.4 ms of stories260K, so per-token overhead weighs what it would on a
// real model; it runs idle only. And where .cache/llama.cpp/build-native has a llama-server built for
// this CPU (`npm run build:llama-server-native`: GGML_NATIVE, AVX-512 here), it is measured beside the
// portable one CI builds (AVX2): node-llama-cpp's prebuilt binary loads its best CPU variant, so the
// native build is the like-for-like one on a CPU with AVX-512.
//
//   node bench/engine-threads.js [--model FILE.gguf | --only tiny|realistic] [--threads 1,2,4] [--runs 5] [--loaded-runs 3]
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { startBackgroundLoad } from "./background-load.js";
import { createChildren } from "./peer-process.js";
import { timedStream } from "./timed-stream.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const LLAMA_SERVERS = [
  { label: "llama-server", path: join(root, ".cache", "llama.cpp", "build", "bin", "llama-server") },
  { label: "llama-server native", path: join(root, ".cache", "llama.cpp", "build-native", "bin", "llama-server") },
];
const GGUF_GENERATOR = join(root, "scripts", "make-bench-gguf.py");
const REALISTIC_MODEL = join(root, ".cache", "bench-models", "llama-1024x4-h64-q8_0.gguf");
// The largest model in ../shared/models with trained weights: it writes real text, so decoding runs
// the whole answer (llama-2-tiny-random is bigger on disk but random).
const DEFAULT_MODEL = fileURLToPath(new URL("../../shared/models/stories260K-chatml.gguf", import.meta.url));
const TINY = { name: "tiny", model: DEFAULT_MODEL, promptChars: 3_400, loads: ["idle", "loaded"] };
// ~500 tokens of llama-2's vocabulary: a prefill of about a second at one thread.
const REALISTIC = { name: "realistic", model: REALISTIC_MODEL, promptChars: 2_000, loads: ["idle"] };
// stories260K was trained on 2,048 tokens; the prompt and the answer fit in twice that.
const CONTEXT = 4096;
const DECODE_TOKENS = 128;
const PROBE_TOKENS = 16;
const DECODE_SECONDS = 10;
const MIN_ROUNDS = 2;
// A cell starts no new round after this, once it has MIN_ROUNDS.
const CELL_BUDGET_MS = 120_000;
const READY_TIMEOUT_MS = 60_000;

// TinyStories-like sentences, in this tiny model's 512-token vocabulary (about 3.4 characters a token).
const SENTENCES = [
  "Once upon a time, there was a little girl named Lily.",
  "She liked to play in the park with her red ball.",
  "One day, she saw a big dog under a tree.",
  "The dog was sad because it lost its bone.",
  "Lily wanted to help, so she looked behind the bench and near the pond.",
  "Her mom said it was time to go home for lunch.",
  "Tom, her friend, came with a box of toys and a blue kite.",
  "They ran up the hill and the wind took the kite high in the sky.",
];

/** A prompt of about `chars` characters whose first words are unique to run `n`. */
function promptFor(n, chars) {
  let text = `Story number ${n}. `;
  for (let i = 0; text.length < chars; i++) text += `${SENTENCES[(i + n) % SENTENCES.length]} `;
  return text.trim();
}

/** The realistic-shaped GGUF, written once by scripts/make-bench-gguf.py and then read from the cache. */
export function ensureRealisticModel(path = REALISTIC_MODEL) {
  if (existsSync(path)) return path;
  mkdirSync(dirname(path), { recursive: true });
  console.error(`writing ${path} (scripts/make-bench-gguf.py, once)`);
  execFileSync("python3", [GGUF_GENERATOR, "--out", path], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  return path;
}

/** @param {{ models?: (typeof TINY)[]; threadCounts?: number[]; runs?: number; loadedRuns?: number }} [options] */
export async function benchEngineThreads({ models = [TINY, REALISTIC], threadCounts, runs = 5, loadedRuns = 3 } = {}) {
  // 1, 2, 4, … up to the CPUs (and the CPU count itself): every count on a small machine, and a run
  // that still ends in minutes on a 16-core one.
  threadCounts ??= [...new Set([...Array.from({ length: Math.floor(Math.log2(cpus().length)) + 1 }, (_, i) => 2 ** i), cpus().length])];
  const llamaServers = LLAMA_SERVERS.filter((server) => existsSync(server.path));
  const children = createChildren();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-threads-"));
  const mallex = join(root, "bin", "mallex.js");
  const results = [];
  // Which node-llama-cpp binary the engine and the in-process column ran: its prebuilt one, or a
  // local source build (\`npx node-llama-cpp source download --gpu false\`), which both load first.
  let binary = "prebuilt";
  let nextRun = 0;
  try {
    for (const spec of models) {
      const { model, promptChars } = spec;
      if (model === REALISTIC_MODEL) ensureRealisticModel();
      for (const threads of threadCounts) {
        /** @type {{ label: string; protocol?: "openai" | "anthropic"; send: (n: number, answerTokens?: number) => ReturnType<typeof timedStream> }[]} */
        const targets = [];
        /**
         * @param {string} label
         * @param {"openai" | "anthropic"} protocol
         * @param {string} command
         * @param {string[]} args
         * @param {{ env?: Record<string, string>; readyPath: string }} options
         */
        const start = async (label, protocol, command, args, { env, readyPath }) => {
          const port = await findFreePort();
          const url = `http://127.0.0.1:${port}`;
          await children.start(label, command, [...args, "--port", String(port)], {
            env: { ...process.env, ...env },
            cwd: root,
            readyUrl: `${url}${readyPath}`,
          });
          const path = protocol === "openai" ? "/v1/chat/completions" : "/v1/messages";
          targets.push({
            label,
            protocol,
            send: (n, answerTokens = PROBE_TOKENS) =>
              timedStream(`${url}${path}`, requestBody(protocol, promptFor(n, promptChars), answerTokens), {
                protocol,
                headers: protocol === "anthropic" ? { "anthropic-version": "2023-06-01" } : {},
              }),
          });
        };
        await start(
          "engine direct",
          "openai",
          process.execPath,
          [mallex, "engine", "--model", model, "--threads", String(threads), "--ctx-size", String(CONTEXT)],
          { readyPath: "/v1/models" },
        );
        await start(
          "through mallex",
          "anthropic",
          process.execPath,
          [mallex, "proxy", "--embedded", model, "--threads", String(threads), "--ctx-size", String(CONTEXT)],
          { env: { MALLEX_HOME: join(home, `mallex-${spec.name}-${threads}`) }, readyPath: "/health" },
        );
        for (const server of llamaServers) {
          // As the engine runs: one slot, flash attention off (the engine turns it off on the CPU;
          // llama-server's default, auto, turns it on, and decodes stories260K ~4× slower with it here).
          await start(
            server.label,
            "openai",
            server.path,
            ["-m", model, "-t", String(threads), "-c", String(CONTEXT), "-np", "1", "-fa", "off", "--jinja", "--host", "127.0.0.1"],
            { readyPath: "/health" },
          );
        }
        const alone = await startInProcess(model, threads, promptChars);
        binary = alone.binary;
        targets.push(alone);
        // The first request loads the engine behind mallex; llama-server answers 503 while it loads.
        for (const target of targets) await untilServed(() => target.send(nextRun++));

        for (const load of spec.loads) {
          const background = load === "loaded" ? startBackgroundLoad() : undefined;
          try {
            if (background) await new Promise((resolve) => setTimeout(resolve, 1_000));
            // Two threads on a busy 2-vCPU machine decode at ~1 token/s: the answer is as long as the
            // engine decodes in DECODE_SECONDS (16 to 128 tokens), so that every cell gets its runs.
            const probe = rates(await targets[0].send(nextRun++, PROBE_TOKENS));
            const answerTokens = Math.max(PROBE_TOKENS, Math.min(DECODE_TOKENS, Math.round(probe.decode * DECODE_SECONDS)));
            const samples = targets.map(() => /** @type {ReturnType<typeof rates>[]} */ ([]));
            const wanted = load === "idle" ? runs : loadedRuns;
            const started = Date.now();
            for (let round = 0; round < wanted && (round < MIN_ROUNDS || Date.now() - started < CELL_BUDGET_MS); round++) {
              for (let k = 0; k < targets.length; k++) {
                const i = (round + k) % targets.length;
                samples[i].push(rates(await targets[i].send(nextRun++, answerTokens)));
              }
            }
            // At the end of the phase: the 1-minute average lags, and by then it has seen the phase.
            results.push({
              spec,
              threads,
              load,
              loadAverage: loadavg()[0],
              answerTokens,
              rounds: samples[0].length,
              byTarget: Object.fromEntries(targets.map((target, i) => [target.label, samples[i]])),
            });
          } finally {
            await background?.stop();
          }
        }
        await children.stopAll();
        await alone.dispose();
      }
    }
    return report({ models, results, runs, loadedRuns, llamaServers, binary });
  } finally {
    await children.stopAll();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * node-llama-cpp alone, in this process, loaded as src/engine/load-engine.ts loads it (its local
 * source build if there is one, else the prebuilt binary; CPU, flash attention off): LlamaChat on a fresh context per request. What the engine's
 * binary does without mallex's server around it.
 */
async function startInProcess(model, threads, promptChars) {
  const { getLlama, LlamaChat } = await import("node-llama-cpp");
  const llama = await getLlama({ gpu: false, build: "never" });
  const loaded = await llama.loadModel({ modelPath: model, gpuLayers: 0 });
  return {
    label: "node-llama-cpp alone",
    binary: llama.buildType === "localBuild" ? "local" : "prebuilt",
    async send(n, answerTokens = PROBE_TOKENS) {
      const context = await loaded.createContext({ contextSize: CONTEXT, threads, flashAttention: false });
      try {
        const sequence = context.getSequence();
        const chat = new LlamaChat({ contextSequence: sequence });
        let firstToken;
        let lastToken;
        let completion = 0;
        const started = performance.now();
        await chat.generateResponse(
          [
            { type: "user", text: promptFor(n, promptChars) },
            { type: "model", response: [] },
          ],
          {
            maxTokens: answerTokens,
            temperature: 0,
            onToken: (tokens) => {
              firstToken ??= performance.now();
              lastToken = performance.now();
              completion += tokens.length;
            },
          },
        );
        if (firstToken === undefined || lastToken === undefined) throw new Error(`node-llama-cpp alone generated no token for run ${n}`);
        // The sequence holds the prompt and every answer token but the last, which is never evaluated.
        return {
          ttft: firstToken - started,
          lastToken: lastToken - started,
          usage: { prompt: sequence.nextTokenIndex - completion + 1, cached: 0, completion },
        };
      } finally {
        await context.dispose();
      }
    },
    async dispose() {
      await loaded.dispose();
      await llama.dispose();
    },
  };
}

function requestBody(protocol, prompt, maxTokens) {
  const messages = [{ role: "user", content: prompt }];
  if (protocol === "openai") return { model: "bench", messages, max_tokens: maxTokens, temperature: 0, stream: true, stream_options: { include_usage: true } };
  return { model: "claude-sonnet-4-6", messages, max_tokens: maxTokens, temperature: 0, stream: true };
}

/**
 * Prefill: the prompt tokens the server computed (not a reused prefix) over the time to the first token.
 * Decode: the tokens after the first read over the time from the first read to the last (a piece is a
 * token on every server here, so a server whose writes carry several tokens gains nothing by it).
 */
function rates({ ttft, lastToken, firstPieces = 1, usage }) {
  const computed = usage.prompt - usage.cached;
  return {
    prefill: computed / (ttft / 1000),
    decode: (usage.completion - firstPieces) / ((lastToken - ttft) / 1000),
    promptTokens: computed,
    completion: usage.completion,
  };
}

async function untilServed(send) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      return await send();
    } catch (error) {
      if (Date.now() > deadline || !/HTTP 503/.test(/** @type {Error} */ (error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

const median = (values) => {
  // NaN: a decode with no time between its first read and its last (the whole answer in one read).
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const SHAPES = {
  tiny: "stories260K (trained weights; embedding 64, 8 heads 8 wide, 4 kv heads, 5 layers, 512-token vocabulary)",
  realistic:
    "a small real model's shape with random weights (scripts/make-bench-gguf.py: embedding 1024, 16 heads 64 wide, 4 kv heads, 4 layers, feed-forward 2816, Q8_0, llama-2's 32,000-token vocabulary)",
};

function report({ models, results, runs, loadedRuns, llamaServers, binary }) {
  const cell = (result, label, key) => median(result.byTarget[label].map((sample) => sample[key]));
  const num = (value) => Math.round(value).toLocaleString("en-US");
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim() !== "";
  const signed = (value, digits) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(digits)}`;
  const perToken = {
    decode: { unit: "ms", format: (seconds) => `${signed(seconds * 1000, 2)} ms` },
    prefill: { unit: "µs", format: (seconds) => `${signed(seconds * 1e6, 0)} µs` },
  };
  const loadOf = (result) => `${result.load === "idle" ? "idle" : `${cpus().length} busy loops`} (${result.loadAverage.toFixed(1)})`;
  const servers = llamaServers.map((server) => server.label);

  const table = (rows, key, what) => [
    `| ${what}, median | load (load avg) | runs × answer tokens | engine direct | through mallex | node-llama-cpp alone | ${servers.join(" | ")}${servers.length ? " | " : ""}${servers.map((label) => `engine ÷ ${label} (${perToken[key].unit} a token more)`).join(" | ")}${servers.length ? " | " : ""}through mallex ÷ direct |`,
    `|---|---|---|---|---|---|${servers.map(() => "---|---|").join("")}---|`,
    ...rows.map((result) => {
      const direct = cell(result, "engine direct", key);
      const through = cell(result, "through mallex", key);
      const alone = cell(result, "node-llama-cpp alone", key);
      const llamas = servers.map((label) => cell(result, label, key));
      const versus = llamas.map((llama) => `${ratio(direct, llama)} (${perToken[key].format(1 / direct - 1 / llama)})`);
      return `| ${result.threads} thread${result.threads === 1 ? "" : "s"} | ${loadOf(result)} | ${result.rounds} × ${result.answerTokens} | ${num(direct)} tok/s | ${num(through)} tok/s | ${num(alone)} tok/s | ${llamas.map((llama) => `${num(llama)} tok/s | `).join("")}${versus.map((v) => `${v} | `).join("")}${ratio(through, direct)} |`;
    }),
  ];
  const fastest = (rows, load, key) => {
    const best = rows.filter((result) => result.load === load).reduce((a, b) => (cell(b, "engine direct", key) > cell(a, "engine direct", key) ? b : a));
    return `${best.threads} thread${best.threads === 1 ? "" : "s"}`;
  };
  const section = (spec) => {
    const rows = results.filter((result) => result.spec === spec);
    const all = rows.flatMap((result) => Object.values(result.byTarget).flat());
    const promptTokens = median(all.map((sample) => sample.promptTokens));
    const short = rows.flatMap((result) =>
      Object.values(result.byTarget)
        .flat()
        .filter((sample) => sample.completion < result.answerTokens),
    );
    const loads = spec.loads.includes("loaded")
      ? `idle: up to ${runs} runs each; loaded: up to ${loadedRuns} runs each while the bench keeps one busy-looping process on every CPU (at least ${MIN_ROUNDS}; no new round after ${CELL_BUDGET_MS / 1000} s)`
      : `idle only, up to ${runs} runs each (at least ${MIN_ROUNDS}; no new round after ${CELL_BUDGET_MS / 1000} s)`;
    return [
      `#### ${basename(spec.model)}: ${SHAPES[spec.name] ?? "as given"}`,
      "",
      `A ~${num(promptTokens)}-token prompt, then an answer of up to ${DECODE_TOKENS} tokens; ${loads}.` +
        (short.length > 0 ? ` ${short.length} answers ended before their length (the model's end of text).` : ""),
      "",
      ...table(rows, "decode", "decode"),
      "",
      ...table(rows, "prefill", "prefill"),
      "",
      `Fastest engine decode: ${spec.loads.map((load) => `${fastest(rows, load, "decode")} ${load}`).join(", ")}; fastest prefill: ${spec.loads.map((load) => `${fastest(rows, load, "prefill")} ${load}`).join(", ")}.`,
    ];
  };
  return [
    "### The embedded engine by thread count, idle and under load, against llama-server",
    "",
    `\`npm run bench:engine-threads\` at commit ${commit}${dirty ? " (with uncommitted changes in src/)" : ""}. Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB. ` +
      `Context ${CONTEXT}, one request at a time: a prompt whose first words are unique to the run (so no server reuses a cached prefix), then an answer of ${DECODE_TOKENS} tokens, or fewer where the engine decodes too slowly for ${DECODE_TOKENS} in ${DECODE_SECONDS} s (measured first with a ${PROBE_TOKENS}-token answer, the same length for all). ` +
      `Per thread count: \`mallex engine --threads N\` (OpenAI API), \`mallex proxy --embedded --threads N\` (Anthropic API, through the engine it starts), node-llama-cpp alone in the bench's process (${binary === "local" ? "**its local source build** (node_modules/node-llama-cpp/llama/localBuilds: GGML_NATIVE and OpenMP on), which the engine loads before the prebuilt binary," : "its prebuilt binary"} loaded as the engine loads it, LlamaChat on a fresh context per request) and ` +
      (servers.length > 0
        ? `${llamaServers.map((server) => `\`${server.label}\``).join(" and ")} with \`-t N -np 1 -fa off --jinja\` (one slot and no flash attention, as the engine runs; \`llama-server\`: \`npm run build:llama-server\`, GGML_NATIVE off, AVX2, as CI builds it${servers.includes("llama-server native") ? "; `llama-server native`: `npm run build:llama-server-native`, GGML_NATIVE on, this CPU's own instructions" : ""}), `
        : "**no llama-server: .cache/llama.cpp/build/bin/llama-server is not built (`npm run build:llama-server`), so its columns are missing**, ") +
      `all with context ${CONTEXT}. The 1-minute load average at the end of each phase shows what else ran. ` +
      "Runs interleaved in a rotating order. Rates as the client sees them: prefill is the prompt tokens over the time to the first token, decode the answer's tokens after the first over the time from the first to the last.",
    "",
    ...models.flatMap((spec) => [...section(spec), ""]),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { model: { type: "string" }, only: { type: "string" }, threads: { type: "string" }, runs: { type: "string" }, "loaded-runs": { type: "string" } },
  });
  try {
    const models = values.model
      ? [{ ...TINY, name: "given", model: values.model }]
      : values.only === "tiny"
        ? [TINY]
        : values.only === "realistic"
          ? [REALISTIC]
          : [TINY, REALISTIC];
    if (values.only !== undefined && !["tiny", "realistic"].includes(values.only)) throw new Error(`--only takes tiny or realistic, not ${values.only}`);
    console.log(
      await benchEngineThreads({
        models,
        ...(values.threads ? { threadCounts: values.threads.split(",").map(Number) } : {}),
        ...(values.runs ? { runs: Number(values.runs) } : {}),
        ...(values["loaded-runs"] ? { loadedRuns: Number(values["loaded-runs"]) } : {}),
      }),
    );
  } catch (error) {
    console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
}
