// `npm run bench:hostile` (or `node bench/hostile-backend.js` after `npm run build`): what a broken or
// hostile model server costs `mallex proxy` (issue 37's goal: no crash, /health never held over
// 100 ms, RSS never more than ~100 MB over its working set, every answer ending with a clear error).
// A real proxy process (the shipped config, server.answer_timeout_s 10) in front of
// bench/hostile-model-server.js, one case at a time; /health polled every 10 ms over a keep-alive
// connection and the proxy's VmRSS read from /proc every 10 ms while each request runs. The same
// request sent straight to the hostile server is not measured: the point is the proxy's bound.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { createChildren } from "./peer-process.js";
import { ms, percentile } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const POLL_MS = 10;
const REQUEST_TIMEOUT_MS = 120_000;
const WRITE_TOOL = {
  name: "Write",
  description: "Write a file",
  input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
};

const CASES = [
  { name: "honest", what: "a short honest answer (the baseline)", stream: true },
  { name: "whole-300mb", what: "a non-streamed answer of 300 MB", stream: false },
  { name: "whole-63mb", what: "a valid non-streamed answer of 63 MB", stream: false },
  // max_tokens 262,144: as high as the profile allows (its max_output_tokens, 16,384), which mallex's bounds follow.
  { name: "whole-7mib", what: "a valid non-streamed answer of 7 MiB (max_tokens 16,384)", stream: false, maxTokens: 262_144 },
  { name: "whole-objects", what: "a non-streamed answer holding 2 MB of empty objects", stream: false },
  { name: "whole-endless-sse", what: "an endless event stream to a non-streamed request", stream: false },
  { name: "stream-line-no-newline", what: "a stream line of 1.5 GB with no newline", stream: true },
  { name: "stream-event-100mb", what: "one valid 100 MB stream event", stream: true },
  { name: "stream-event-15mb-content", what: "one valid 15 MB event of text", stream: true },
  { name: "stream-event-15mb-arguments", what: "a Write's 15 MB of arguments in one valid event", stream: true },
  { name: "stream-event-7mib-content", what: "one valid 7 MiB event of text (max_tokens 16,384)", stream: true, maxTokens: 262_144 },
  { name: "stream-event-objects", what: "one event holding 2 MB of empty objects", stream: true },
  // max_tokens as high as the profile allows (its max_output_tokens, 16,384): mallex's own bound on it
  // (32 characters a token, 528 K characters) does not end the Write first.
  { name: "write-512kb-in-4-char-deltas", what: "a 512 KB Write in 4-character argument fragments", stream: true, maxTokens: 262_144 },
  { name: "arguments-3m-deep", what: "tool-call arguments nested 3,000,000 deep (6 MB)", stream: true, maxTokens: 262_144 },
  { name: "drip", what: "a token every 100 ms, forever (answer_timeout_s 10)", stream: true },
  { name: "ignores-max-tokens", what: "tokens without end, max_tokens 64 ignored", stream: true, maxTokens: 64 },
];

/** A process's resident memory in MB, from /proc (Linux). */
function rssMb(pid) {
  const vmRss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  if (vmRss === null) throw new Error(`/proc/${pid}/status has no VmRSS`);
  return Number(vmRss[1]) / 1024;
}

/**
 * @param {Agent | undefined} agent
 * @param {string} url
 * @param {{ method?: string; body?: unknown }} [options]
 * @returns {Promise<{ status: number | undefined; size: number; tail: string }>}
 */
function send(agent, url, { method = "GET", body } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = httpRequest(
      url,
      { method, agent, timeout: REQUEST_TIMEOUT_MS, headers: payload ? { "content-type": "application/json", "content-length": payload.length } : {} },
      (res) => {
        let size = 0;
        let tail = "";
        res.on("data", (data) => {
          size += data.length;
          tail = (tail + data.toString()).slice(-600);
        });
        res.on("end", () => resolve({ status: res.statusCode, size, tail }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

/** What the client was told at the end: the stream's error or stop, or the error body (the model server's address as …). */
function ending(answer, backendUrl) {
  const tail = answer.tail.replaceAll(`${backendUrl}/v1`, "…");
  const error = /"type":"error","error":\{"type":"(\w+)","message":"([^"]{0,150})/.exec(tail) ?? /"error":\{"type":"(\w+)","message":"([^"]{0,150})/.exec(tail);
  if (error) return `${answer.status}, ${error[1]}: ${error[2]}…`;
  const stop = /"stop_reason":"(\w+)"/.exec(tail);
  return `${answer.status}${stop ? `, stop_reason ${stop[1]}` : ""}`;
}

/** @param {{ onRow?: (row: string) => void; only?: string[] }} [options] */
export async function benchHostileBackend({ onRow, only } = {}) {
  const children = createChildren();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-hostile-"));
  const agents = { health: new Agent({ keepAlive: true, maxSockets: 1 }), post: new Agent({ keepAlive: false }) };
  try {
    const backendPort = await findFreePort();
    const backendUrl = `http://127.0.0.1:${backendPort}`;
    await children.start("hostile model server", process.execPath, [join(root, "bench", "hostile-model-server.js"), String(backendPort)], {
      env: process.env,
      cwd: root,
      readyUrl: `${backendUrl}/health`,
    });
    const configDir = join(home, "config");
    mkdirSync(configDir);
    writeFileSync(join(configDir, "mallex.yaml"), `include: [${JSON.stringify(join(root, "mallex.yaml"))}]\nserver: { answer_timeout_s: 10 }\n`);
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const proxy = await children.start(
      "mallex proxy",
      process.execPath,
      [join(root, "bin", "mallex.js"), "proxy", "--config", join(configDir, "mallex.yaml"), "--port", String(port), "--backend-url", `${backendUrl}/v1`],
      {
        env: { ...process.env, MALLEX_HOME: join(home, "mallex") },
        cwd: root,
        readyUrl: `${url}/health`,
      },
    );
    const rows = [];
    for (const test of only === undefined ? CASES : CASES.filter((test) => only.includes(test.name))) {
      await send(undefined, `${backendUrl}/__case`, { method: "POST", body: { name: test.name } });
      const before = rssMb(proxy.pid);
      const latencies = [];
      let peak = before;
      let done = false;
      const poll = (async () => {
        while (!done) {
          const started = performance.now();
          await send(agents.health, `${url}/health`);
          latencies.push(performance.now() - started);
          peak = Math.max(peak, rssMb(proxy.pid));
          await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        }
      })();
      const started = performance.now();
      const body = {
        model: "claude-sonnet-4-6",
        max_tokens: test.maxTokens ?? 4096,
        stream: test.stream,
        tools: [WRITE_TOOL],
        messages: [{ role: "user", content: "Write the file." }],
      };
      const answer = await send(agents.post, `${url}/v1/messages`, { method: "POST", body }).catch((error) => ({
        status: "no answer",
        size: 0,
        tail: error.message,
      }));
      const requestMs = performance.now() - started;
      done = true;
      await poll;
      const alive = (await send(agents.health, `${url}/health`).catch(() => ({ status: "down" }))).status === 200;
      const row = {
        what: test.what,
        p50: percentile(latencies, 50),
        max: Math.max(...latencies),
        before,
        peak,
        requestMs,
        ending: ending(answer, backendUrl),
        alive,
      };
      rows.push(row);
      onRow?.(`${test.name}: /health max ${ms(row.max)}, RSS ${before.toFixed(0)} → ${peak.toFixed(0)} MB, ${ms(requestMs)}, ${row.ending}`);
    }
    return [
      `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}. /health polled every ${POLL_MS} ms and VmRSS read while each request ran.`,
      "",
      "| the model server sends… | /health p50 | max | proxy RSS before → peak | request took | the client got | proxy alive after |",
      "|---|---|---|---|---|---|---|",
      ...rows.map(
        (row) =>
          `| ${row.what} | ${ms(row.p50)} | ${ms(row.max)} | ${row.before.toFixed(0)} → ${row.peak.toFixed(0)} MB (+${(row.peak - row.before).toFixed(0)}) | ${(row.requestMs / 1000).toFixed(1)} s | ${row.ending.replace(/\|/g, "\\|")} | ${row.alive ? "yes" : "**no**"} |`,
      ),
    ].join("\n");
  } finally {
    agents.health.destroy();
    agents.post.destroy();
    await children.stopAll();
    rmSync(home, { recursive: true, force: true });
  }
}

// `node bench/hostile-backend.js [case,case…]`: only the cases named.
if (import.meta.url === `file://${process.argv[1]}`)
  console.log(await benchHostileBackend({ onRow: (row) => process.stderr.write(`${row}\n`), only: process.argv[2]?.split(",") }));
