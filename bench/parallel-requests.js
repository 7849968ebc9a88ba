// `npm run bench:parallel`: requests at once through `mallex proxy --backend-url` (the default config)
// to a model server that batches, against the same requests sent to that server directly. The server
// is the fake mlx-lm.server of test/fakes on a worker thread: it answers any number of requests at
// once, each after a fixed prompt-processing delay (its `: keepalive` comments meanwhile, as
// mlx-lm.server sends them) and then a fixed pace per token, so whatever a request waits beyond that
// is waiting in the proxy. Rounds alternate between direct and mallex.
//
//   node bench/parallel-requests.js [--concurrency 1,4,16] [--rounds 3] [--delay-ms 1000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { createChildren } from "./peer-process.js";
import { createKeepAliveAgent, post } from "./http-post.js";
import { checkAnthropic, checkOpenAI, longTokens, startWorker } from "./proxy.js";

const root = fileURLToPath(new URL("..", import.meta.url));

export async function benchParallelRequests({ concurrency = [1, 4, 16], rounds = 3, delayMs = 1_000, tokens = 32, tokenDelayMs = 10 } = {}) {
  const load = loadavg()[0];
  const children = createChildren();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-parallel-"));
  const agent = createKeepAliveAgent({ maxSockets: Math.max(...concurrency) * 2 + 4 });
  let backend;
  try {
    backend = await startWorker({ role: "backend" });
    const expected = longTokens(tokens);
    await backend.call("script", { value: { text: expected, prefillMs: delayMs, tokenDelayMs } });

    // mallex as configured by default, and with the one-at-a-time limit that was the default before
    // capacities were read from the server (issue 22), as a user would set it.
    const startMallex = async (label, configLines) => {
      const port = await findFreePort();
      const url = `http://127.0.0.1:${port}`;
      const args = [join(root, "bin", "mallex.js"), "proxy", "--port", String(port), "--backend-url", backend.url];
      if (configLines) {
        const config = join(home, `${label.replace(/\W+/g, "-")}.yaml`);
        writeFileSync(config, [`include: [${JSON.stringify(join(root, "mallex.yaml"))}]`, ...configLines, ""].join("\n"));
        args.push("--config", config);
      }
      await children.start(label, process.execPath, args, {
        env: { ...process.env, MALLEX_HOME: join(home, label.replace(/\W+/g, "-")) },
        cwd: root,
        readyUrl: `${url}/health`,
      });
      const target = {
        label,
        send: () => post(agent, `${url}/v1/messages`, anthropic, { "content-type": "application/json", "anthropic-version": "2023-06-01" }, "anthropic"),
        check: (text) => checkAnthropic(text, expected.join("")),
      };
      checkAnthropic((await target.send()).body.toString("utf8"), expected.join(""));
      // What it let reach the server at once, as its /metrics says.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const capacity = /^mallex_backend_capacity\{[^}]*\} (\d+)/m.exec(metrics)?.[1];
      target.label += ` (capacity ${capacity ?? "not in /metrics"})`;
      return target;
    };
    const anthropic = Buffer.from(
      JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 256, stream: true, messages: [{ role: "user", content: "Tell me about the fox." }] }),
    );
    const mallex = await startMallex("through mallex, default config");
    // Direct: the OpenAI request mallex sent, replayed.
    const openai = Buffer.from(JSON.stringify(await backend.call("lastPost")));
    const direct = {
      label: "direct to the server",
      send: () => post(agent, `${backend.url}/chat/completions`, openai, { "content-type": "application/json" }, "openai"),
      check: (text) => checkOpenAI(text, expected.join("")),
    };
    checkOpenAI((await direct.send()).body.toString("utf8"), expected.join(""));
    const oneAtATime = await startMallex("through mallex, max_in_flight_per_backend: 1", ["server:", "  max_in_flight_per_backend: 1"]);
    const targets = [direct, mallex, oneAtATime];

    const rows = [];
    for (const n of concurrency) {
      const bursts = targets.map(() => /** @type {Awaited<ReturnType<typeof burst>>[]} */ ([]));
      for (let round = 0; round < rounds; round++) {
        for (let k = 0; k < targets.length; k++) {
          const i = (round + k) % targets.length;
          bursts[i].push(await burst(targets[i], n));
        }
      }
      rows.push({ n, byTarget: new Map(targets.map((target, i) => [target, bursts[i]])) });
    }
    return report({ rows, targets, rounds, delayMs, tokens, tokenDelayMs, load });
  } finally {
    agent.destroy();
    await children.stopAll();
    await backend?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

/** `n` requests at once: the wall time until all are done, each one's time to first token, and how many were refused. */
async function burst(target, n) {
  const started = performance.now();
  const outcomes = await Promise.allSettled(Array.from({ length: n }, () => target.send()));
  const wall = performance.now() - started;
  const answered = outcomes.filter((outcome) => outcome.status === "fulfilled").map((outcome) => outcome.value);
  for (const answer of answered) target.check(answer.body.toString("utf8"));
  const refused = outcomes.filter((outcome) => outcome.status === "rejected").map((outcome) => outcome.reason.message);
  return { wall, ttfts: answered.map((answer) => answer.ttft), refused };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function report({ rows, targets, rounds, delayMs, tokens, tokenDelayMs, load }) {
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
  const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const dirty = execFileSync("git", ["status", "--porcelain", "--", "src"], { cwd: root, encoding: "utf8" }).trim() !== "";
  const lines = [
    "### Requests at once through mallex to a batching server, against the same requests direct",
    "",
    `\`npm run bench:parallel\` at commit ${commit}${dirty ? " (with uncommitted changes in src/)" : ""}. Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB; 1-minute load average at start: ${load.toFixed(2)}. ` +
      `The server: the fake mlx-lm.server of test/fakes on a worker thread of the bench, answering every request at once, each after ${delayMs} ms of prompt processing and then ${tokens} tokens ${tokenDelayMs} ms apart. ` +
      "`mallex proxy --backend-url …` as its own process, with the default config (no config file) and with the shipped config plus `server.max_in_flight_per_backend: 1`; direct: the OpenAI request mallex sent, replayed. " +
      `${rounds} rounds per row, in a rotating order; medians over the rounds (first token: the median and the slowest request of each round, then their medians).`,
    "",
    "| requests at once | to | all done | ÷ direct | first token, median / slowest | ÷ direct (slowest) | refused |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const { n, byTarget } of rows) {
    const sum = (target) => {
      const bursts = byTarget.get(target);
      const ttfts = (b) => (b.ttfts.length > 0 ? b.ttfts : [Number.NaN]);
      return {
        wall: median(bursts.map((b) => b.wall)),
        ttft: median(bursts.map((b) => median(ttfts(b)))),
        slowest: median(bursts.map((b) => Math.max(...ttfts(b)))),
        refused: bursts.flatMap((b) => b.refused),
      };
    };
    const [direct, ...proxies] = targets;
    const d = sum(direct);
    if (d.refused.length > 0) throw new Error(`the fake server refused ${d.refused.length} direct requests: ${d.refused[0]}`);
    lines.push(`| ${n} | ${direct.label} | ${s(d.wall)} | floor | ${s(d.ttft)} / ${s(d.slowest)} | floor | none |`);
    for (const proxy of proxies) {
      const m = sum(proxy);
      const refused = m.refused.length === 0 ? "none" : `${m.refused.length} of ${n * rounds} (${m.refused[0].replace(/\s+/g, " ").slice(0, 140)})`;
      lines.push(
        `| ${n} | ${proxy.label} | ${s(m.wall)} | ${(m.wall / d.wall).toFixed(2)}× | ${s(m.ttft)} / ${s(m.slowest)} | ${(m.slowest / d.slowest).toFixed(2)}× | ${refused} |`,
      );
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { concurrency: { type: "string" }, rounds: { type: "string" }, "delay-ms": { type: "string" } } });
  try {
    console.log(
      await benchParallelRequests({
        ...(values.concurrency ? { concurrency: values.concurrency.split(",").map(Number) } : {}),
        ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
        ...(values["delay-ms"] ? { delayMs: Number(values["delay-ms"]) } : {}),
      }),
    );
  } catch (error) {
    console.error(`\nbench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  }
}
