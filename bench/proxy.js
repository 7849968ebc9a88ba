// The proxy's own overhead: Claude Code's real "what is 2+2" request through mallex to a fake
// mlx-lm.server, against the same fake answering the equivalent OpenAI request directly, plus the
// stream translator alone. The client runs here; mallex and the fake backend each run in their own
// worker thread (bench/proxy-worker.js), as they are separate processes in real use.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { StringDecoder } from "node:string_decoder";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { ensureCompiled } from "../dist/src/compile/ensure-compiled.js";
import { profileTranslateOptions } from "../dist/src/server/profile-translate-options.js";
import { createAnthropicStreamTranslator, formatSSE, parseOpenAIEventStream } from "../dist/src/translate/index.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const fixturePath = fileURLToPath(new URL("../../shared/fixtures/claude-code/main-request-2plus2.json", import.meta.url));
const REQUEST_TIMEOUT_MS = 30_000;
// Claude Code's headers minus the ones that describe its own connection.
const DROPPED_HEADERS = new Set(["host", "content-length", "connection", "accept-encoding"]);

/** Short tokens, as a coder model emits them. */
const WORDS = [" the", " quick", " brown", " fox", " jumps", " over", " lazy", " dog", ",", " and", " then", " returns", " 42", ".", "\n", " const"];
export const longTokens = (n) => Array.from({ length: n }, (_, i) => WORDS[i % WORDS.length]);

/**
 * `translatorOnly`: just the translator-alone line (bench/overhead.js measures mallex end to end
 * against direct and the reference proxy, as real processes).
 */
export async function benchProxy({ samples = 50, warmup = 5, tokens = 2000, streamRuns = 9, translatorRuns = 30, translatorOnly = false } = {}) {
  const load = loadavg()[0];
  let fixture;
  try {
    fixture = JSON.parse(readFileSync(fixturePath, "utf8"));
  } catch (error) {
    throw new Error(`cannot read the captured Claude Code request at ${fixturePath}: ${error.message}`);
  }
  const anthropicBody = Buffer.from(JSON.stringify(fixture.body));
  const anthropicHeaders = { ...Object.fromEntries(Object.entries(fixture.headers).filter(([name]) => !DROPPED_HEADERS.has(name))), "content-type": "application/json" };
  const anthropicPath = `/v1/messages${fixture.url.includes("?") ? fixture.url.slice(fixture.url.indexOf("?")) : ""}`;

  const home = mkdtempSync(join(tmpdir(), "mallex-bench-proxy-"));
  const agent = new Agent({ keepAlive: true, maxSockets: 4 });
  let backend;
  let mallex;
  try {
    // Compiled once here (into a temp dir); the mallex worker finds it current and uses it as `mallex proxy` would.
    const compiled = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir: join(home, "generated"), cwd: root, env: {}, packageRoot: root });
    backend = await startWorker({ role: "backend" });
    mallex = await startWorker({ role: "mallex", root, home, backendUrl: backend.url });

    const viaMallex = () => post(agent, `${mallex.url}${anthropicPath}`, anthropicBody, anthropicHeaders, "anthropic");
    // The body mallex itself sent, captured once, replayed straight to the fake.
    const first = await viaMallex();
    const upstream = await backend.call("lastPost");
    if (!upstream || typeof upstream !== "object") throw new Error("mallex sent no request to the fake backend");
    checkAnthropic(first.body.toString("utf8"), "4");
    const openaiBody = Buffer.from(JSON.stringify(upstream));
    const direct = () => post(agent, `${backend.url}/chat/completions`, openaiBody, { "content-type": "application/json" }, "openai");
    checkOpenAI((await direct()).body.toString("utf8"), "4");

    // 1. Latency of a one-token answer, mallex and direct interleaved so background load hits both alike.
    for (let i = 0; i < (translatorOnly ? 0 : warmup); i++) {
      await viaMallex();
      await direct();
    }
    const short = { mallex: [], direct: [] };
    for (let i = 0; i < (translatorOnly ? 0 : samples); i++) {
      short.mallex.push(await viaMallex());
      short.direct.push(await direct());
    }

    // 2. A 2,000-token stream, end to end.
    const expected = longTokens(tokens);
    await backend.call("script", { value: { text: expected } });
    checkAnthropic((await viaMallex()).body.toString("utf8"), expected.join(""));
    const recorded = await direct(); // also the input of the translator-alone run
    const recordedText = recorded.body.toString("utf8");
    checkOpenAI(recordedText, expected.join(""));
    const long = { mallex: [], direct: [] };
    const rss = { mallex: [], direct: [] };
    for (let i = 0; i < (translatorOnly ? 0 : streamRuns); i++) {
      const [m, mRss] = await withPeakRss(viaMallex);
      const [d, dRss] = await withPeakRss(direct);
      long.mallex.push(m);
      long.direct.push(d);
      rss.mallex.push(mRss);
      rss.direct.push(dRss);
    }

    // 3. The translator alone, fed the recorded OpenAI stream one SSE event per chunk, with the
    // options of the profile the router picked (from mallex's own log line: "model → profile (reason)").
    const logFile = join(home, "home", compiled.table.observability.logFile ?? "mallex.log");
    const routed = /→ (\S+) \(/.exec(readFileSync(logFile, "utf8"))?.[1];
    const profile = compiled.table.profiles[routed ?? ""];
    if (!profile) throw new Error(`cannot tell from mallex's log (${logFile}) which profile served the request (got ${routed})`);
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

    const translator = summarize(translatorTimes);
    if (translatorOnly) return translatorLine({ tokens, translator, events: events.length });
    return report({
      load,
      short,
      long,
      rss,
      tokens,
      translator,
      events: events.length,
      sizes: { anthropic: anthropicBody.length, openai: openaiBody.length },
      profile: profile.name,
    });
  } finally {
    agent.destroy();
    await mallex?.close();
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

/**
 * One streamed POST, timed from just before the request is written: first body byte, first
 * token (first `content_block_delta` for Anthropic, first chunk with `delta.content` for OpenAI),
 * and the end of the body.
 */
export function post(agent, url, body, headers, protocol) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length } }, (res) => {
      const chunks = [];
      const decoder = new StringDecoder("utf8");
      let pending = "";
      let firstByte;
      let firstToken;
      res.on("data", (chunk) => {
        const now = performance.now();
        firstByte ??= now;
        chunks.push(chunk);
        if (firstToken === undefined) {
          pending += decoder.write(chunk);
          const found = findFirstToken(pending, protocol);
          if (found.token) firstToken = now;
          pending = found.rest;
        }
      });
      res.on("end", () => {
        const ended = performance.now();
        const text = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new Error(`${url} answered HTTP ${res.statusCode}: ${text.toString("utf8").slice(0, 500)}`));
        if (firstToken === undefined) return reject(new Error(`${url} streamed no token: ${text.toString("utf8").slice(0, 500)}`));
        resolve({ ttfb: firstByte - started, ttft: firstToken - started, total: ended - started, streaming: ended - firstToken, body: text });
      });
      res.on("error", reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`${url} did not finish within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Scans complete SSE events; returns whether one carries the first token, and the unparsed rest. */
function findFirstToken(text, protocol) {
  const parts = text.split("\n\n");
  const rest = parts.pop();
  for (const event of parts) {
    if (protocol === "anthropic" && event.startsWith("event: content_block_delta\n")) return { token: true, rest: "" };
    if (protocol === "openai" && event.startsWith("data: {")) {
      const chunk = JSON.parse(event.slice(6));
      if (chunk.choices?.[0]?.delta?.content) return { token: true, rest: "" };
    }
  }
  return { token: false, rest };
}

/** parseOpenAIEventStream → createAnthropicStreamTranslator → formatSSE, over in-memory chunks. */
async function translateAll(events, ctx) {
  const encoder = new TextEncoder();
  const source = new ReadableStream({
    start(controller) {
      for (const event of events) controller.enqueue(event);
      controller.close();
    },
  });
  const out = parseOpenAIEventStream(source)
    .pipeThrough(createAnthropicStreamTranslator(ctx))
    .pipeThrough(new TransformStream({ transform: (event, controller) => controller.enqueue(encoder.encode(formatSSE(event))) }))
    .pipeThrough(new TextDecoderStream());
  let text = "";
  for await (const piece of out) text += piece;
  return text;
}

/** Runs `fn` while sampling RSS every 2 ms; returns its result and the peak rise over the start. */
async function withPeakRss(fn) {
  const before = process.memoryUsage.rss();
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
  try {
    const result = await fn();
    peak = Math.max(peak, process.memoryUsage.rss());
    return [result, peak - before];
  } finally {
    clearInterval(timer);
  }
}

/** The Anthropic stream is well-formed and says `text`. */
export function checkAnthropic(sse, text, who = "mallex") {
  const events = sse.split("\n\n").filter(Boolean).map((event) => {
    const [nameLine, dataLine] = event.split("\n");
    return { name: nameLine.slice(7), data: JSON.parse(dataLine.slice(6)) };
  });
  const names = events.map((event) => event.name);
  const said = events.filter((event) => event.name === "content_block_delta").map((event) => event.data.delta.text ?? "").join("");
  const stop = events.find((event) => event.name === "message_delta")?.data.delta.stop_reason;
  if (names[0] !== "message_start" || names.at(-1) !== "message_stop" || said !== text || stop !== "end_turn") {
    throw new Error(`${who}'s stream is not the expected answer: events ${names.slice(0, 8).join(", ")}${names.length > 8 ? ", …" : ""}; stop_reason ${stop}; text ${JSON.stringify(said.slice(0, 80))}`);
  }
}

/** The OpenAI stream ends with [DONE] and says `text`. */
export function checkOpenAI(sse, text) {
  const data = sse.split("\n\n").filter((event) => event.startsWith("data: ")).map((event) => event.slice(6));
  const said = data.filter((d) => d.startsWith("{")).map((d) => JSON.parse(d).choices?.[0]?.delta?.content ?? "").join("");
  if (data.at(-1) !== "[DONE]" || said !== text) throw new Error(`the fake backend's stream is not the expected answer: ${JSON.stringify(sse.slice(0, 300))}`);
}

const rateOf = (tokens, msValue) => `${Math.round(tokens / (msValue / 1000)).toLocaleString("en-US")} tok/s`;

function translatorLine({ tokens, translator, events }) {
  return (
    `Translator alone, in-process (parseOpenAIEventStream → createAnthropicStreamTranslator → formatSSE), the recorded ${tokens.toLocaleString("en-US")}-token OpenAI stream fed one SSE event per chunk (${events} chunks), ${translator.n} runs: ` +
    `p50 ${ms(translator.p50)} = **${rateOf(tokens, translator.p50)}**, p99 ${ms(translator.p99)}.`
  );
}

function report({ load, short, long, rss, tokens, translator, events, sizes, profile }) {
  const pick = (runs, key) => summarize(runs.map((run) => run[key]));
  const row = (label, m, d) => `| ${label} | ${ms(m.p50)} | ${ms(m.p99)} | ${ms(d.p50)} | ${ms(d.p99)} | ${(m.p50 / d.p50).toFixed(2)}× |`;
  const n = short.mallex.length;
  const lm = pick(long.mallex, "total");
  const ld = pick(long.direct, "total");
  const sm = pick(long.mallex, "streaming");
  const sd = pick(long.direct, "streaming");
  const rate = (msValue) => `${Math.round(tokens / (msValue / 1000)).toLocaleString("en-US")} tok/s`;
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return [
    `### Proxy overhead: Claude Code's "what is 2+2" through mallex vs straight to mlx-lm.server (fake)`,
    "",
    `Streaming, one request at a time over a keep-alive connection; mallex routes it to \`${profile}\` and sends ${sizes.openai.toLocaleString("en-US")} bytes of OpenAI JSON for Claude Code's ${sizes.anthropic.toLocaleString("en-US")}. ` +
      `The client, mallex and the fake backend each run on their own thread of one Node process; 1-minute load average at start: ${load.toFixed(2)} on ${cpus().length} CPUs.`,
    "",
    `| ${n} requests each, answer "4" | mallex p50 | mallex p99 | direct p50 | direct p99 | mallex ÷ direct (p50) |`,
    "|---|---|---|---|---|---|",
    row("first body byte (TTFB)¹", pick(short.mallex, "ttfb"), pick(short.direct, "ttfb")),
    row("first token²", pick(short.mallex, "ttft"), pick(short.direct, "ttft")),
    row("whole response", pick(short.mallex, "total"), pick(short.direct, "total")),
    "",
    "¹ mallex sends `message_start` and `ping` as soon as the backend answers with headers, before the model's first token; the direct first byte is the backend's `: keepalive 0/N` prefill comment. Neither is a token.",
    "",
    "² The fair comparison: mallex's first `content_block_delta` vs the backend's first chunk with `delta.content`.",
    "",
    `p99 of ${n} samples is the slowest one: read it as "worst seen", which a busy machine moves a lot.`,
    "",
    `| ${tokens.toLocaleString("en-US")}-token streamed answer, ${long.mallex.length} runs each (p50) | mallex | direct | mallex ÷ direct |`,
    "|---|---|---|---|",
    `| request to last byte | ${ms(lm.p50)} (${rate(lm.p50)}) | ${ms(ld.p50)} (${rate(ld.p50)}) | ${(lm.p50 / ld.p50).toFixed(2)}× |`,
    `| first token to last byte | ${ms(sm.p50)} (${rate(sm.p50)}) | ${ms(sd.p50)} (${rate(sd.p50)}) | ${(sm.p50 / sd.p50).toFixed(2)}× |`,
    `| peak RSS rise of the whole process during a run (sampled every 2 ms, p50 / max) | ${mib(summarize(rss.mallex).p50)} / ${mib(Math.max(...rss.mallex))} | ${mib(summarize(rss.direct).p50)} / ${mib(Math.max(...rss.direct))} | |`,
    "",
    translatorLine({ tokens, translator, events }),
  ].join("\n");
}
