// What mallex adds to a request, in one run: Claude Code's captured "what is 2+2" straight to a fake
// mlx-lm.server (direct: the OpenAI request mallex sends), through bench/reference-proxy.js (the
// least a parse-and-forward proxy does) and through `mallex proxy`, both real processes started as
// a user starts them. Rounds are interleaved in a rotating order, so the machine's noise falls on all
// three alike. Then Claude Code's first request of a new session, a new project's each time (its path in
// the system prompt and the reminders): the prompt mallex has not trimmed before, where the repeated
// request meets its prefix cache. Also each proxy's resident memory: idle after one request (before and after a full
// GC, asked for with SIGUSR2 through bench/gc-on-signal.js) and at `concurrency` streams at once.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { readCapturedRequest } from "./captured-request.js";
import { createChildren, readRss } from "./peer-process.js";
import { createKeepAliveAgent, post } from "./http-post.js";
import { checkAnthropic, checkOpenAI, longTokens, startWorker } from "./proxy.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const GC_FLAGS = ["--expose-gc", "--import", join(root, "bench", "gc-on-signal.js")];
const sleep = (msValue) => new Promise((resolve) => setTimeout(resolve, msValue));

export async function benchOverhead({ samples = 200, sessions = 100, warmup = 10, tokens = 2000, streamRuns = 15, concurrency = 50, loadRounds = 3 } = {}) {
  const load = loadavg()[0];
  const { body: anthropicBody, headers: anthropicHeaders, path: anthropicPath } = readCapturedRequest();

  const children = createChildren();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-overhead-"));
  const agent = createKeepAliveAgent({ maxSockets: concurrency + 4 });
  let backend;
  try {
    backend = await startWorker({ role: "backend" });
    const start = async (label, args, env) => {
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}`;
      const child = await children.start(label, process.execPath, [...GC_FLAGS, ...args, "--port", String(port), "--backend-url", backend.url], {
        env: { ...process.env, ...env },
        cwd: root,
        readyUrl: `${url}/health`,
      });
      const send = (body = anthropicBody) => post(agent, `${url}${anthropicPath}`, body, anthropicHeaders, "anthropic");
      return { label, url, pid: child.pid, send };
    };
    // The shipped config, with room for `concurrency` requests at once to the one backend (its queue holds 1 + 16 by default).
    const configDir = join(home, "config");
    mkdirSync(configDir);
    writeFileSync(
      join(configDir, "mallex.yaml"),
      `include: [${JSON.stringify(join(root, "mallex.yaml"))}]\nserver:\n  max_in_flight_per_backend: ${concurrency}\n  max_waiting_per_backend: ${concurrency}\n`,
    );
    // Compiled first, as `mallex proxy` finds it on every start but the first.
    execFileSync(process.execPath, [join(root, "bin", "mallex.js"), "compile", "--config", join(configDir, "mallex.yaml")], { cwd: root, stdio: "ignore" });
    const mallex = await start("mallex proxy", [join(root, "bin", "mallex.js"), "proxy", "--config", join(configDir, "mallex.yaml")], {
      MALLEX_HOME: join(home, "mallex"),
    });
    checkAnthropic((await mallex.send()).body.toString("utf8"), "4");
    const upstream = await backend.call("lastPost");
    const mallexBytes = await backend.call("lastPostBytes");
    const reference = await start("reference proxy", [join(root, "bench", "reference-proxy.js"), ...(upstream.model ? ["--model", upstream.model] : [])]);
    checkAnthropic((await reference.send()).body.toString("utf8"), "4", "the reference proxy");
    const referenceBytes = await backend.call("lastPostBytes");
    const openaiBody = Buffer.from(JSON.stringify(upstream));
    const direct = {
      label: "direct to the fake backend",
      send: () => post(agent, `${backend.url}/chat/completions`, openaiBody, { "content-type": "application/json" }, "openai"),
    };
    checkOpenAI((await direct.send()).body.toString("utf8"), "4");
    const proxies = [reference, mallex];
    const targets = [direct, ...proxies];

    // Idle after one request: as it is a second later, then after a full GC.
    await sleep(1_000);
    for (const proxy of proxies) proxy.idleRss = readRss(proxy.pid);
    for (const proxy of proxies) process.kill(proxy.pid, "SIGUSR2");
    await sleep(500);
    for (const proxy of proxies) proxy.idleGcRss = readRss(proxy.pid);

    // 1. A one-token answer, one request at a time.
    await interleave(targets, warmup, (target) => target.send());
    const short = await interleave(targets, samples, (target) => target.send());

    // 2. A long answer, one at a time: stream throughput.
    const expected = longTokens(tokens);
    await backend.call("script", { value: { text: expected } });
    for (const proxy of proxies) checkAnthropic((await proxy.send()).body.toString("utf8"), expected.join(""), proxy.label);
    checkOpenAI((await direct.send()).body.toString("utf8"), expected.join(""));
    const long = await interleave(targets, streamRuns, (target) => target.send());

    // 3. `concurrency` long answers at once, each proxy's RSS sampled every 10 ms.
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
        if (target.pid) checkAnthropic(answer.body.toString("utf8"), expected.join(""), target.label);
        else checkOpenAI(answer.body.toString("utf8"), expected.join(""));
      }
      return { wall, peakRss: peak?.max() };
    });
    await sleep(2_000);
    for (const proxy of proxies) proxy.afterRss = readRss(proxy.pid);
    for (const proxy of proxies) process.kill(proxy.pid, "SIGUSR2");
    await sleep(500);
    for (const proxy of proxies) proxy.afterGcRss = readRss(proxy.pid);

    // 4. The first request of a new session, one at a time: each round another project, the same for all targets.
    // Last, so that the memory above is read after the same requests as before this table was added
    // (a hundred new sessions fill the prefix cache and the dashboard's explanations).
    await backend.call("script", { value: { text: ["4"] } });
    for (const proxy of proxies) checkAnthropic((await proxy.send()).body.toString("utf8"), "4", proxy.label);
    const newSessions = newSessionBodies(anthropicBody, warmup + sessions);
    await interleave(targets, warmup, (target, round) => target.send(newSessions[round]));
    const fresh = await interleave(targets, sessions, (target, round) => target.send(newSessions[warmup + round]));

    return report({
      load,
      targets,
      short,
      fresh,
      long,
      loaded,
      tokens,
      concurrency,
      sizes: { anthropic: anthropicBody.length, mallex: mallexBytes, reference: referenceBytes },
    });
  } finally {
    agent.destroy();
    await children.stopAll();
    await backend?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * Claude Code's request as the first of `count` new sessions: the capture's project folder
 * (/home/dev/tiny-repo, in the system prompt's environment and memory paths and in the CLAUDE.md
 * reminder) renamed for each, so mallex meets a system prompt and reminders it has not trimmed. Direct
 * to the backend it is the same request as any other (mallex's upstream body differs by the name only).
 */
function newSessionBodies(body, count) {
  const text = body.toString("utf8");
  if (!text.includes("tiny-repo")) throw new Error("the captured request no longer names its project folder tiny-repo: pick another name to vary per session");
  return Array.from({ length: count }, (_, i) => Buffer.from(text.replaceAll("tiny-repo", `tiny-repo-session-${i}`)));
}

/** Runs `fn` on every target `rounds` times, the order rotating each round; results per target, in the targets' order. */
async function interleave(targets, rounds, fn) {
  const results = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < targets.length; k++) {
      const i = (round + k) % targets.length;
      results[i].push(await fn(targets[i], round));
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

function report({ load, targets, short, fresh, long, loaded, tokens, concurrency, sizes }) {
  const pick = (runs, key) => summarize(runs.map((run) => run[key]));
  const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  const rate = (n, msValue) => `${Math.round(n / (msValue / 1000)).toLocaleString("en-US")} tok/s`;
  const plus = (value, floor) => `${value >= floor ? "+" : "−"}${ms(Math.abs(value - floor))}`;
  const bytes = (n) => n.toLocaleString("en-US");
  const addedIn = (runs) => {
    const [direct, reference] = [0, 1].map((i) => ({ ttft: pick(runs[i], "ttft").p50, total: pick(runs[i], "total").p50 }));
    return (i, key) =>
      i === 0
        ? "floor"
        : i === 1
          ? plus(pick(runs[i], key).p50, direct[key])
          : `${plus(pick(runs[i], key).p50, direct[key])} / ${plus(pick(runs[i], key).p50, reference[key])}`;
  };
  const latencyRows = (runs) => {
    const added = addedIn(runs);
    return targets.map((target, i) => {
      const [t, w] = ["ttft", "total"].map((key) => pick(runs[i], key));
      return `| ${target.label} | ${ms(t.p50)} / ${ms(t.p99)} | ${ms(w.p50)} / ${ms(w.p99)} | ${added(i, "ttft")} | ${added(i, "total")} |`;
    });
  };
  const floorStream = pick(long[0], "streaming").p50;
  const floorWall = summarize(loaded[0].map((run) => run.wall)).p50;
  return [
    `### Proxy overhead: Claude Code's "what is 2+2" direct, through a reference proxy, through mallex`,
    "",
    `\`npm run bench\`. The fake mlx-lm.server runs on a worker thread of the benchmark, the client on its main thread; \`mallex proxy --backend-url …\` (shipped config) and \`bench/reference-proxy.js\` each run as their own process ` +
      `(mallex with the shipped config plus \`server.max_in_flight_per_backend: ${concurrency}\`, so that all ${concurrency} streams run at once) ` +
      `and with \`--expose-gc\`, to read RSS after a full GC. The reference proxy parses the Anthropic JSON, flattens system and messages to text (no trimming, no tools) and streams the answer back as Anthropic SSE: ` +
      `the least any proxy does. Claude Code's request is ${bytes(sizes.anthropic)} bytes; mallex sends the backend ${bytes(sizes.mallex)} bytes of OpenAI JSON, the reference proxy ${bytes(sizes.reference)}; "direct" replays mallex's. ` +
      `Rounds interleaved in a rotating order; 1-minute load average at start: ${load.toFixed(2)} on ${cpus().length} CPUs.`,
    "",
    `| ${short[0].length} requests each, answer "4", p50 / p99 | first token¹ | whole response | added at p50, first token: over direct / over reference | added at p50, whole response |`,
    "|---|---|---|---|---|",
    ...latencyRows(short),
    "",
    `¹ The first \`content_block_delta\` through a proxy, the first chunk with \`delta.content\` direct. p99 of ${short[0].length} samples is the third slowest.`,
    "",
    `| ${fresh[0].length} requests each, the first of a new session² (answer "4"), p50 / p99 | first token | whole response | added at p50, first token: over direct / over reference | added at p50, whole response |`,
    "|---|---|---|---|---|",
    ...latencyRows(fresh),
    "",
    `² Each request another project's (its folder's name changed in the system prompt and the reminders), the same for every target: mallex trims a system prompt and reminders it has not seen, where the table above meets its prefix cache. Direct, it is the same request as any other.`,
    "",
    `| ${tokens.toLocaleString("en-US")}-token streamed answer, ${long[0].length} runs each (p50) | request to last byte | first token to last byte | stream rate | ÷ direct |`,
    "|---|---|---|---|---|",
    ...targets.map((target, i) => {
      const whole = pick(long[i], "total").p50;
      const streaming = pick(long[i], "streaming").p50;
      return `| ${target.label} | ${ms(whole)} | ${ms(streaming)} | ${rate(tokens, streaming)} | ${i === 0 ? "floor" : `${(streaming / floorStream).toFixed(2)}× the time`} |`;
    }),
    "",
    `| memory, ${concurrency} concurrent ${tokens.toLocaleString("en-US")}-token streams (${loaded[0].length} rounds) | all ${concurrency} done (p50) | aggregate rate | RSS idle after one request / after GC | peak RSS at ${concurrency} streams (sampled every 10 ms) | RSS 2 s after / after GC |`,
    "|---|---|---|---|---|---|",
    ...targets.map((target, i) => {
      const wall = summarize(loaded[i].map((run) => run.wall)).p50;
      const memory =
        i === 0
          ? "— | — | —"
          : `${mib(target.idleRss)} / ${mib(target.idleGcRss)} | ${mib(Math.max(...loaded[i].map((run) => run.peakRss)))} | ${mib(target.afterRss)} / ${mib(target.afterGcRss)}`;
      return `| ${target.label} | ${ms(wall)}${i === 0 ? "" : ` (${(wall / floorWall).toFixed(2)}×)`} | ${rate(tokens * concurrency, wall)} | ${memory} |`;
    }),
  ].join("\n");
}
