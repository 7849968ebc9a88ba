// The stream translator alone, in-process, on a 2,000-token answer the fake mlx-lm.server recorded;
// and the helpers the process benchmarks share (bench/overhead.js, bench/peers.js): the fake backend
// on a worker thread (bench/proxy-worker.js) and checks of both protocols (their timed POST is
// bench/http-post.js).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Readable } from "node:stream";
import { Worker } from "node:worker_threads";
import { ensureCompiled } from "#dist/compile/ensure-compiled.js";
import { routeOffline } from "#dist/router/route-offline.js";
import { profileTranslateOptions } from "#dist/pipeline/profile-translate-options.js";
import { pumpAnswer } from "#dist/pipeline/pump-answer.js";
import { formatSSE } from "#dist/translate/stream/format-sse.js";
import { createAnthropicStreamTransformer } from "#dist/translate/stream/translate-openai-stream.js";
import { readCapturedRequest } from "./captured-request.js";
import { createKeepAliveAgent, post } from "./http-post.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));

/** Short tokens, as a coder model emits them. */
const WORDS = [" the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog", ",", " and", " then", " returns", " 42", ".", "\n", " const"];
/** An answer of `n` such tokens, each line numbered: no loop (mallex stops an answer that writes one piece again and again, stop_repeats). */
export const longTokens = (n) =>
  Array.from({ length: n }, (_, i) => (i % WORDS.length === WORDS.length - 1 ? ` line${(i / WORDS.length + 1) | 0}` : WORDS[i % WORDS.length]));

/**
 * The server's pump (SSE parser → translator → formatSSE) over the recorded stream, fed
 * one SSE event per chunk, with the options of the profile the shipped config routes the captured
 * request to (bench/overhead.js measures mallex end to end, as a real process).
 */
export async function benchTranslator({ tokens = 2000, translatorRuns = 30 } = {}) {
  const { fixture } = readCapturedRequest();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-translator-"));
  const agent = createKeepAliveAgent({ maxSockets: 1 });
  let backend;
  try {
    const compiled = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir: join(home, "generated"), cwd: root, env: {}, packageRoot: root });
    const routed = routeOffline(fixture.body, compiled.table, {});
    if (!routed.ok) throw new Error(`the shipped config routes the captured request nowhere: ${routed.message}`);
    const profile = routed.route.profile;

    backend = await startWorker({ role: "backend" });
    const expected = longTokens(tokens);
    await backend.call("script", { value: { text: expected } });
    const ask = Buffer.from(
      JSON.stringify({ messages: [{ role: "user", content: "what is 2+2" }], max_tokens: tokens + 10, stream: true, stream_options: { include_usage: true } }),
    );
    const recordedText = (await post(agent, `${backend.url}/chat/completions`, ask, { "content-type": "application/json" }, "openai")).body.toString("utf8");
    checkOpenAI(recordedText, expected.join(""));

    const translateContext = {
      model: fixture.body.model,
      tools: fixture.body.tools,
      options: profileTranslateOptions(profile, compiled.table.backends[profile.backend].flavor),
      deps: { generateId: (prefix) => `${prefix}_bench` },
      inputTokensEstimate: 1,
    };
    const events = recordedText.split(/(?<=\n\n)/).map((event) => new TextEncoder().encode(event));
    const translatorTimes = [];
    const translatorWarmup = 5;
    for (let i = 0; i < translatorRuns + translatorWarmup; i++) {
      const started = performance.now();
      const out = await translateAll(events, translateContext);
      if (i >= translatorWarmup) translatorTimes.push(performance.now() - started);
      if (i === 0) checkAnthropic(out, expected.join(""));
    }
    return translatorLine({ tokens, translator: summarize(translatorTimes), events: events.length });
  } finally {
    agent.destroy();
    await backend?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** Starts bench/proxy-worker.js in a role; resolves once it listens, with its URL, `call` and `close`. */
export function startWorker(data) {
  const worker = new Worker(new URL("./proxy-worker.js", import.meta.url), { workerData: data });
  const pending = new Map();
  let nextId = 0;
  let failure;
  const failAll = (error) => {
    failure ??= error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  return new Promise((resolve, reject) => {
    worker.on("error", (error) => {
      const wrapped = new Error(`the ${data.role} worker failed: ${error?.stack ?? error}`);
      failAll(wrapped);
      reject(wrapped);
    });
    worker.on("exit", (code) => {
      const error = new Error(`the ${data.role} worker exited (code ${code})`);
      failAll(error);
      reject(error);
    });
    worker.on("message", (message) => {
      if (message.ready) {
        const call = (type, args = {}) => {
          if (failure) return Promise.reject(failure);
          const id = nextId++;
          return new Promise((res, rej) => {
            pending.set(id, { resolve: res, reject: rej });
            worker.postMessage({ id, type, ...args });
          });
        };
        const close = async () => {
          try {
            if (!failure) await call("close");
          } finally {
            await worker.terminate();
          }
        };
        return resolve({ url: message.url, call, close });
      }
      const entry = pending.get(message.id);
      if (!entry) return;
      pending.delete(message.id);
      if (message.ok) entry.resolve(message.value);
      else entry.reject(new Error(`the ${data.role} worker failed: ${message.error}`));
    });
  });
}

/** What the server runs on a streamed answer (pumpAnswer: SSE parser → translator → formatSSE), over in-memory chunks. */
function translateAll(events, ctx) {
  return new Promise((resolve, reject) => {
    let text = "";
    pumpAnswer(
      {
        body: Readable.from(events),
        readFailure: (error) => ({ type: "api_error", message: String(error) }),
        pingIntervalMs: 60_000,
        transformer: createAnthropicStreamTransformer(ctx),
      },
      { event: (event) => (text += formatSSE(event)), flush: () => true, end: () => resolve(text), error: reject },
    );
  });
}

/** The Anthropic stream is well-formed and says `text`. */
export function checkAnthropic(sse, text, who = "mallex") {
  const events = sse
    .split("\n\n")
    .filter(Boolean)
    .map((event) => {
      const [nameLine, dataLine] = event.split("\n");
      return { name: nameLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
    });
  const names = events.map((event) => event.name);
  const said = events
    .filter((event) => event.name === "content_block_delta")
    .map((event) => event.data.delta.text ?? "")
    .join("");
  const stop = events.find((event) => event.name === "message_delta")?.data.delta.stop_reason;
  if (names[0] !== "message_start" || names.at(-1) !== "message_stop" || said !== text || stop !== "end_turn") {
    throw new Error(
      `${who}'s stream is not the expected answer: events ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}; stop_reason ${stop}; text ${JSON.stringify(said.slice(0, 80))}`,
    );
  }
}

/** The OpenAI stream ends with [DONE] and says `text`. */
export function checkOpenAI(sse, text) {
  const data = sse
    .split("\n\n")
    .filter((event) => event.startsWith("data: "))
    .map((event) => event.slice(6));
  const said = data
    .filter((d) => d.startsWith("{"))
    .map((d) => JSON.parse(d).choices?.[0]?.delta?.content ?? "")
    .join("");
  if (data.at(-1) !== "[DONE]" || said !== text) throw new Error(`the fake backend's stream is not the expected answer: ${JSON.stringify(sse.slice(0, 300))}`);
}

const rateOf = (tokens, msValue) => `${Math.round(tokens / (msValue / 1000)).toLocaleString("en-US")} tok/s`;

function translatorLine({ tokens, translator, events }) {
  return (
    `Translator alone, in-process (the server's pumpAnswer: SSE parser → createAnthropicStreamTransformer → formatSSE), the recorded ${tokens.toLocaleString("en-US")}-token OpenAI stream fed one SSE event per chunk (${events} chunks), ${translator.n} runs: ` +
    `p50 ${ms(translator.p50)} = **${rateOf(tokens, translator.p50)}**, p99 ${ms(translator.p99)}.`
  );
}
