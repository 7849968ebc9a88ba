// `npm run bench:peers` (by hand, not in CI): Claude Code's real "what is 2+2" request through mallex
// and through claude-code-router (the most used peer), each a real process in front of the same fake
// mlx-lm.server, against the OpenAI request mallex sends going straight to that fake (the floor).
// Rounds are interleaved, in a rotating order, so the machine's noise falls on all three alike.
// Prints markdown tables for docs/benchmarks.md. The peer is installed from npm into the git-ignored
// .cache/peers (not a devDependency: nothing else needs it, and `npm ci` should not fetch it).
// A request that fails names its target and, for a proxy, whether its process still runs or how it
// exited, with its last lines of output. Smaller runs: --samples, --warmup, --tokens, --stream-runs,
// --concurrency, --load-rounds (the defaults are docs/benchmarks.md's).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { DEFAULT_MODEL } from "../test/fakes/mlx-lm-server.js";
import { readCapturedRequest } from "./captured-request.js";
import { createKeepAliveAgent, post } from "./http-post.js";
import { createChildren, installPeer, readRss } from "./peer-process.js";
import { checkAnthropic, checkOpenAI, longTokens, startWorker } from "./proxy.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
/** The newest claude-code-router that runs on Node 20 (3.x needs Node ≥ 22). */
const PEER = { name: "@musistudio/claude-code-router", version: "2.0.0" };
const DEFAULTS = { samples: 200, warmup: 10, tokens: 2000, streamRuns: 15, concurrency: 20, loadRounds: 3 };

/**
 * What is measured: the floor (the fake backend itself) or a proxy, its `send` and `resent` set by sender().
 * @typedef {{ label: string; pid?: number; send: () => Promise<import("./http-post.js").TimedPost>; resent: number }} Target
 */
/**
 * A proxy, a process of its own: its resident memory idle and after the load, and the bytes it sent the backend.
 * @typedef {Target & { url: string; pid: number; child: import("./peer-process.js").StartedChild; idleRss: number; sentBytes: number; afterRss: number }} Proxy
 */

const children = createChildren();
try {
  const settings = readSettings(process.argv.slice(2));
  console.log(`Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB\n`);
  console.log(await benchPeers(settings));
} catch (error) {
  console.error(`\nbench:peers failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
} finally {
  await children.stopAll();
}

async function benchPeers({ samples, warmup, tokens, streamRuns, concurrency, loadRounds }) {
  const load = loadavg()[0];
  const { body: anthropicBody, headers: anthropicHeaders, path: anthropicPath } = readCapturedRequest();

  const peerDir = await installPeer({ ...PEER, prefix: join(root, ".cache", "peers") });
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-peers-"));
  process.once("exit", () => rmSync(home, { recursive: true, force: true })); // also on Ctrl-C, after the children are killed
  const agent = createKeepAliveAgent({ maxSockets: concurrency + 4 });
  let backend;
  try {
    backend = await startWorker({ role: "backend" });
    const mallex = await startMallex(home, backend.url, concurrency);
    const proxies = /** @type {Proxy[]} */ ([
      { label: `mallex ${packageVersion(root)}`, ...mallex },
      { label: `claude-code-router ${PEER.version}`, ...(await startClaudeCodeRouter(peerDir, join(home, "ccr"), backend.url, {})) },
      {
        label: `claude-code-router ${PEER.version}, \`"LOG": false\``,
        ...(await startClaudeCodeRouter(peerDir, join(home, "ccr-quiet"), backend.url, { LOG: false })),
      },
    ]);
    for (const proxy of proxies) {
      proxy.idleRss = readRss(proxy.pid);
      proxy.send = sender(
        proxy,
        () => post(agent, `${proxy.url}${anthropicPath}`, anthropicBody, anthropicHeaders, "anthropic"),
        () => proxy.child.describe(),
      );
      checkAnthropic((await proxy.send()).body.toString("utf8"), "4", proxy.label);
      proxy.sentBytes = await backend.call("lastPostBytes");
    }
    // The floor: the OpenAI request mallex sent (the latest one, from the first proxy above), straight to the fake.
    await proxies[0].send();
    const openaiBody = Buffer.from(JSON.stringify(await backend.call("lastPost")));
    const direct = /** @type {Target} */ ({ label: "direct to the fake backend" });
    direct.send = sender(
      direct,
      () => post(agent, `${backend.url}/chat/completions`, openaiBody, { "content-type": "application/json" }, "openai"),
      () => describeBackend(backend),
    );
    checkOpenAI((await direct.send()).body.toString("utf8"), "4");
    const targets = [direct, ...proxies];

    // 1. A one-token answer, one request at a time.
    await interleave(targets, warmup, (target) => target.send());
    const short = await interleave(targets, samples, (target) => target.send());

    // 2. A long answer, one at a time: stream throughput.
    const expected = longTokens(tokens);
    await backend.call("script", { value: { text: expected } });
    for (const proxy of proxies) checkAnthropic((await proxy.send()).body.toString("utf8"), expected.join(""), proxy.label);
    checkOpenAI((await direct.send()).body.toString("utf8"), expected.join(""));
    const long = await interleave(targets, streamRuns, (target) => target.send());

    // 3. `concurrency` long answers at once, with each proxy's RSS sampled every 10 ms.
    const loaded = await interleave(targets, loadRounds, async (target) => {
      const started = performance.now();
      const peak = target.pid ? sampleRss(target.pid) : undefined;
      let answers;
      try {
        answers = await Promise.all(Array.from({ length: concurrency }, () => target.send()));
      } finally {
        peak?.stop();
      }
      const wall = performance.now() - started;
      for (const answer of answers) {
        const text = answer.body.toString("utf8");
        if (target.pid) checkAnthropic(text, expected.join(""), target.label);
        else checkOpenAI(text, expected.join(""));
      }
      return { wall, peakRss: peak?.max() };
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    for (const proxy of proxies) proxy.afterRss = readRss(proxy.pid);

    return report({ load, targets, short, long, loaded, tokens, concurrency, anthropicBytes: anthropicBody.length, directBytes: openaiBody.length });
  } finally {
    agent.destroy();
    await children.stopAll();
    await backend?.close();
  }
}

/**
 * `mallex proxy --backend-url`, the built CLI as a user runs it, with its own MALLEX_HOME: the shipped
 * config with room for `concurrency` requests at once to the one backend (its queue holds 1 + 16 by default).
 */
async function startMallex(home, backendUrl, concurrency) {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const env = { ...process.env, MALLEX_HOME: join(home, "mallex") };
  const config = join(home, "mallex.yaml");
  writeFileSync(
    config,
    `include: [${JSON.stringify(join(root, "mallex.yaml"))}]\nserver:\n  max_in_flight_per_backend: ${concurrency}\n  max_waiting_per_backend: ${concurrency}\n`,
  );
  // Compiled first, as `mallex proxy` finds it on every start but the first.
  execFileSync(process.execPath, [join(root, "bin", "mallex.js"), "compile", "--config", config], { cwd: root, stdio: "ignore" });
  const child = await children.start(
    "mallex proxy",
    process.execPath,
    [join(root, "bin", "mallex.js"), "proxy", "--config", config, "--port", String(port), "--backend-url", backendUrl],
    { env, cwd: root, readyUrl: url },
  );
  return { url, pid: child.pid, child };
}

/**
 * `ccr start` (the server, in the foreground) with HOME pointed at a temp dir holding
 * ~/.claude-code-router/config.json: the fake as an OpenAI-compatible provider, with the transformers
 * its README gives Qwen3-Coder providers (`maxtoken`, `enhancetool`) plus `streamoptions`, without
 * which it reports 0 tokens of usage to Claude Code. No APIKEY: then it listens on 127.0.0.1 only and
 * asks for none. `settings` go on top: logging is on at level debug unless they say `LOG: false`.
 */
async function startClaudeCodeRouter(peerDir, ccrHome, backendUrl, settings) {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  mkdirSync(join(ccrHome, ".claude-code-router"), { recursive: true });
  const config = {
    PORT: port,
    Providers: [
      {
        name: "mlx",
        api_base_url: `${backendUrl}/chat/completions`,
        api_key: "local",
        models: [DEFAULT_MODEL],
        transformer: { use: [["maxtoken", { max_tokens: 16384 }], "enhancetool", "streamoptions"] },
      },
    ],
    Router: { default: `mlx,${DEFAULT_MODEL}` },
    ...settings,
  };
  writeFileSync(join(ccrHome, ".claude-code-router", "config.json"), JSON.stringify(config, null, 2));
  const bin = join(peerDir, JSON.parse(readFileSync(join(peerDir, "package.json"), "utf8")).bin.ccr);
  const env = { ...process.env, HOME: ccrHome, USERPROFILE: ccrHome };
  const child = await children.start(`claude-code-router (ccr start, HOME=${ccrHome})`, process.execPath, [bin, "start"], {
    env,
    cwd: ccrHome,
    readyUrl: `${url}/health`,
  });
  return { url, pid: child.pid, child };
}

/**
 * A target's send: each request it had to send again (its keep-alive connection closed under it,
 * see http-post.js) counted in `target.resent`; a failure that names the target and says what its
 * process (`describe`) did.
 */
function sender(target, send, describe) {
  target.resent = 0;
  return async () => {
    try {
      const answer = await send();
      if (answer.resent) target.resent++;
      return answer;
    } catch (error) {
      throw new Error(`a request to ${target.label} failed: ${/** @type {Error} */ (error).message}\n${await describe()}`, { cause: error });
    }
  };
}

/** The fake backend's side of a failed direct request: the worker's state and the requests it closed without an answer. */
async function describeBackend(backend) {
  try {
    const dropped = await backend.call("dropped");
    return `the fake backend (a worker thread of this process) is running; ${dropped.length === 0 ? "it closed no request without an answer" : `requests it closed without an answer:\n${dropped.map((line) => `  ${line}`).join("\n")}`}`;
  } catch (error) {
    return `the fake backend's worker is gone: ${/** @type {Error} */ (error).message}`;
  }
}

/** The run's sizes: docs/benchmarks.md's by default, smaller with --samples N and the like. */
function readSettings(args) {
  const names = {
    samples: "samples",
    warmup: "warmup",
    tokens: "tokens",
    "stream-runs": "streamRuns",
    concurrency: "concurrency",
    "load-rounds": "loadRounds",
  };
  const { values } = parseArgs({ args, options: Object.fromEntries(Object.keys(names).map((name) => [name, { type: "string" }])) });
  const settings = { ...DEFAULTS };
  for (const [flag, key] of Object.entries(names)) {
    if (values[flag] === undefined) continue;
    const n = Number(values[flag]);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} takes a whole number of at least 1, not ${JSON.stringify(values[flag])}`);
    settings[key] = n;
  }
  return settings;
}

/**
 * Runs `fn` on every target `rounds` times, the order rotating each round; returns the results
 * per target, in the targets' order.
 */
async function interleave(targets, rounds, fn) {
  const results = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (round + k) % targets.length;
      results[i].push(await fn(targets[i]));
    }
  }
  return results;
}

/** Samples a process's RSS every 10 ms until `stop`; `max` is the highest seen. */
function sampleRss(pid) {
  let max = readRss(pid);
  const timer = setInterval(() => (max = Math.max(max, readRss(pid))), 10);
  return {
    stop: () => {
      clearInterval(timer);
      max = Math.max(max, readRss(pid));
    },
    max: () => max,
  };
}

function packageVersion(dir) {
  return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
}

function report({ load, targets, short, long, loaded, tokens, concurrency, anthropicBytes, directBytes }) {
  const pick = (runs, key) => summarize(runs.map((run) => run[key]));
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const rate = (n, msValue) => `${Math.round(n / (msValue / 1000)).toLocaleString("en-US")} tok/s`;
  const vs = (value, floor) => `+${ms(value - floor)} (${(value / floor).toFixed(2)}×)`;
  const bytes = (n) => n.toLocaleString("en-US");
  const [directShort] = short;
  const floorToken = pick(directShort, "ttft").p50;
  const floorByte = pick(directShort, "ttfb").p50;
  const floorStream = pick(long[0], "streaming").p50;
  const floorWall = summarize(loaded[0].map((run) => run.wall)).p50;
  const proxies = targets.slice(1);
  const total = tokens * concurrency;
  return [
    `### Proxy overhead alone (a fake backend, no model): mallex vs claude-code-router 2.0.0 vs direct`,
    "",
    `Each proxy runs as its own process as a user starts it: \`node bin/mallex.js proxy --backend-url …\` with the shipped config plus \`server.max_in_flight_per_backend: ${concurrency}\` (so that all the streams run at once); \`ccr start\` with the fake as an OpenAI-compatible provider, transformers \`maxtoken\`, \`enhancetool\`, \`streamoptions\`, ` +
      `once with its default logging (on, level debug: its log file gets every request body in full) and once with \`"LOG": false\`. ` +
      `The fake backend runs on a worker thread of the benchmark, the client on its main thread; rounds are interleaved in a rotating order. ` +
      `Claude Code's request is ${bytes(anthropicBytes)} bytes; mallex sends the backend ${bytes(proxies[0].sentBytes)} bytes of OpenAI JSON, claude-code-router ${bytes(proxies[1].sentBytes)}; "direct" replays mallex's ${bytes(directBytes)}. 1-minute load average at start: ${load.toFixed(2)}.`,
    "",
    `| ${short[0].length} requests each, answer "4", p50 / p99 | first body byte | first token¹ | whole response | first token, added to direct (p50) |`,
    "|---|---|---|---|---|",
    ...targets.map((target, i) => {
      const [b, t, w] = ["ttfb", "ttft", "total"].map((key) => pick(short[i], key));
      return `| ${target.label} | ${ms(b.p50)} / ${ms(b.p99)} | ${ms(t.p50)} / ${ms(t.p99)} | ${ms(w.p50)} / ${ms(w.p99)} | ${i === 0 ? "floor" : vs(t.p50, floorToken)} |`;
    }),
    "",
    `¹ The first \`content_block_delta\` through a proxy, the first chunk with \`delta.content\` direct. First bytes differ in kind: mallex sends \`message_start\` as soon as the backend answers, claude-code-router with the first chunk, the backend a \`: keepalive\` comment (direct first byte: ${ms(floorByte)}). p99 of ${short[0].length} samples is the third slowest.`,
    "",
    `| ${tokens.toLocaleString("en-US")}-token streamed answer, ${long[0].length} runs each (p50) | request to last byte | first token to last byte | stream rate | ÷ direct |`,
    "|---|---|---|---|---|",
    ...targets.map((target, i) => {
      const whole = pick(long[i], "total").p50;
      const streaming = pick(long[i], "streaming").p50;
      return `| ${target.label} | ${ms(whole)} | ${ms(streaming)} | ${rate(tokens, streaming)} | ${i === 0 ? "floor" : `${(streaming / floorStream).toFixed(2)}× the time`} |`;
    }),
    "",
    `| ${concurrency} concurrent ${tokens.toLocaleString("en-US")}-token streams, ${loaded[0].length} rounds each | all ${concurrency} done (p50) | aggregate rate | ÷ direct | proxy RSS idle, before any request | peak RSS under load (sampled every 10 ms) | RSS 2 s after |`,
    "|---|---|---|---|---|---|---|",
    ...targets.map((target, i) => {
      const wall = summarize(loaded[i].map((run) => run.wall)).p50;
      const memory = i === 0 ? "— | — | —" : `${mib(target.idleRss)} | ${mib(Math.max(...loaded[i].map((run) => run.peakRss)))} | ${mib(target.afterRss)}`;
      return `| ${target.label} | ${ms(wall)} | ${rate(total, wall)} | ${i === 0 ? "floor" : `${(wall / floorWall).toFixed(2)}× the time`} | ${memory} |`;
    }),
    "",
    `Requests sent again on a new connection because their server closed the idle keep-alive connection they were written on (bench/http-post.js): ${targets.map((target) => `${target.label} ${target.resent}`).join(", ")}.`,
  ].join("\n");
}
