// `npm run bench:health` (or `node bench/health-under-filters.js` after `npm run build`): how long
// `/health` takes while `mallex proxy` reads adversarial requests. A real proxy process (the shipped
// config plus a team rule with a catastrophic pattern, `(\w+\s?)+ZZZQQQ`) and the fake mlx-lm.server
// on a worker thread; Claude Code's captured request carries, for every regex mallex.yaml ships and
// for the team rule, 1 MB inputs made to hurt it (runs of spaces, its own literal start repeated,
// near-matches, words) where that regex runs: a filter's in its first target (one 1 MB unit, and
// 60 KB units up to 1 MB, under the per-unit limit, so the request's scan budget is what stops
// them), an intent's as the user's prompt, a keep rule's in the system prompt. Then a 30 MB prompt
// (JSON.parse of the body, validation, trimming). /health is polled every 10 ms over a keep-alive
// connection while each request runs; the table gives its latency per regex over all its inputs.
// `--quick`: one input per regex.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { findFreePort } from "#dist/supervisor/supervisor-deps.js";
import { readCapturedRequest } from "./captured-request.js";
import { createChildren } from "./peer-process.js";
import { startWorker } from "./proxy.js";
import { adversarialInputs, shippedPatterns } from "./regex-engines.js";
import { ms, percentile } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const MB = 1 << 20;
const UNIT = 60_000;
const POLL_MS = 10;
const REQUEST_TIMEOUT_MS = 120_000;
const TEAM_RULE = { id: "filter team-catastrophic (team rule)", source: "(\\w+\\s?)+ZZZQQQ", flags: "", where: ["reminder", "system_message", "tool_result"] };

const reminder = (inner) => `<system-reminder>${inner}</system-reminder>`;
/** `text` cut into units of UNIT characters. */
const units = (text) => Array.from({ length: Math.ceil(text.length / UNIT) }, (_, i) => text.slice(i * UNIT, (i + 1) * UNIT));

/** Claude Code's request (to a local profile) with `text` placed where a regex of that kind reads it. */
function placed(base, where, text, split) {
  const body = structuredClone(base);
  body.model = "qwen3-coder-30b";
  const parts = split ? units(text) : [text];
  const last = body.messages.findLast((message) => message.role === "user");
  const blocks = typeof last.content === "string" ? [{ type: "text", text: last.content }] : last.content;
  switch (where) {
    case "reminder":
      last.content = [...blocks, ...parts.map((part) => ({ type: "text", text: reminder(part) }))];
      break;
    case "system_message":
      body.messages.push(...parts.map((part) => ({ role: "system", content: part })), { role: "user", content: "go on" });
      break;
    case "tool_result": {
      body.messages.push({ role: "assistant", content: [{ type: "tool_use", id: "toolu_bench", name: "Bash", input: { command: "cat log" } }] });
      body.messages.push({
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "toolu_bench", content: parts.map((part) => ({ type: "text", text: part })) }],
      });
      break;
    }
    case "system":
      body.system = [
        ...(typeof body.system === "string" ? [{ type: "text", text: body.system }] : (body.system ?? [])),
        ...parts.map((part) => ({ type: "text", text: part })),
      ];
      break;
    case "prompt":
      last.content = [...blocks, { type: "text", text }];
      break;
    default:
      throw new Error(`no placement ${where}`);
  }
  return Buffer.from(JSON.stringify(body));
}

/** What each regex reads, and where a request puts it. */
function cases(base, quick) {
  const list = [];
  for (const pattern of [...shippedPatterns(), TEAM_RULE]) {
    const inputs = adversarialInputs(pattern, MB).slice(0, quick ? 1 : undefined);
    const kind = pattern.id.split(" ")[0];
    const where = kind === "filter" ? pattern.where?.[0] : kind === "intent" ? "prompt" : "system";
    if (where === undefined) throw new Error(`${pattern.id} reads no block (a filter's where is required)`);
    const layouts = kind === "filter" ? [false, true] : [false];
    for (const [input, text] of inputs) {
      for (const split of layouts)
        list.push({
          regex: pattern.id,
          where,
          what: `${input}${split ? `, ${Math.ceil(MB / UNIT)} × 60 KB` : ", one 1 MB unit"}`,
          body: () => placed(base, where, text, split),
        });
    }
  }
  list.push({
    regex: "a 30 MB prompt (no regex: JSON.parse, validation, trimming)",
    where: "prompt",
    what: "30 MB of words",
    body: () => placed(base, "prompt", "word ".repeat(6 * MB), false),
  });
  return list;
}

function get(agent, url) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", reject);
    req.end();
  });
}

function postBody(agent, url, body, headers) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", agent, headers: { ...headers, "content-length": body.length }, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends one request while /health is polled; the /health latencies seen and the request's time. */
async function measure(url, body, headers, agents) {
  const latencies = [];
  let done = false;
  const poll = (async () => {
    while (!done) {
      const started = performance.now();
      await get(agents.health, `${url}/health`);
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  })();
  const started = performance.now();
  const answer = await postBody(agents.post, `${url}${headers.path}`, body, headers.headers);
  const requestMs = performance.now() - started;
  done = true;
  await poll;
  // 400 "prompt is too long" is an answer too: the input budget is measured after trimming, so the rules ran first.
  if (answer.status !== 200 && !(answer.status === 400 && answer.text.includes("prompt is too long")))
    throw new Error(`the proxy answered ${answer.status}: ${answer.text.slice(0, 300)}`);
  return { latencies, requestMs, status: answer.status };
}

/** @param {{ quick?: boolean; onRow?: (row: string) => void }} [options] */
export async function benchHealthUnderFilters({ quick = false, onRow } = {}) {
  const load = loadavg()[0];
  const captured = readCapturedRequest();
  const base = captured.fixture.body;
  const children = createChildren();
  const home = mkdtempSync(join(tmpdir(), "mallex-bench-health-"));
  const agents = { health: new Agent({ keepAlive: true, maxSockets: 1 }), post: new Agent({ keepAlive: true, maxSockets: 1 }) };
  let backend;
  try {
    backend = await startWorker({ role: "backend" });
    const configDir = join(home, "config");
    mkdirSync(configDir);
    writeFileSync(
      join(configDir, "mallex.yaml"),
      `include: [${JSON.stringify(join(root, "mallex.yaml"))}]\nfilters:\n  - { id: team-catastrophic, where: [${TEAM_RULE.where.join(", ")}], pattern: '${TEAM_RULE.source}', action: drop }\n`,
    );
    execFileSync(process.execPath, [join(root, "bin", "mallex.js"), "compile", "--config", join(configDir, "mallex.yaml")], { cwd: root, stdio: "ignore" });
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    await children.start(
      "mallex proxy",
      process.execPath,
      [join(root, "bin", "mallex.js"), "proxy", "--config", join(configDir, "mallex.yaml"), "--port", String(port), "--backend-url", backend.url],
      {
        env: { ...process.env, MALLEX_HOME: join(home, "mallex") },
        cwd: root,
        readyUrl: `${url}/health`,
      },
    );
    const send = { path: captured.path, headers: captured.headers };
    // A fresh proxy's first requests pay for JIT and compiling the rules: not the filters' doing.
    for (let i = 0; i < 3; i++) await measure(url, captured.body, send, agents);
    /** @type {number[]} */
    const baseline = [];
    let baselineMs = 0;
    for (let i = 0; i < 10; i++) {
      const result = await measure(url, captured.body, send, agents);
      baseline.push(...result.latencies);
      baselineMs = Math.max(baselineMs, result.requestMs);
    }
    /** @type {Map<string, { where: string; latencies: number[]; slowest: { ms: number; what: string } }>} */
    const rows = new Map([
      ["Claude Code's request, no adversarial text (10 runs)", { where: "-", latencies: baseline, slowest: { ms: baselineMs, what: "" } }],
    ]);
    /** @type {number[]} */
    const all = [];
    for (const test of cases(base, quick)) {
      const result = await measure(url, test.body(), send, agents);
      const row = rows.get(test.regex) ?? { where: test.where, latencies: /** @type {number[]} */ ([]), slowest: { ms: 0, what: "" } };
      row.latencies.push(...result.latencies);
      if (result.requestMs > row.slowest.ms) row.slowest = { ms: result.requestMs, what: `${test.what}${result.status === 400 ? ", 400 too long" : ""}` };
      rows.set(test.regex, row);
      all.push(...result.latencies);
      onRow?.(
        `${test.regex} · ${test.where} · ${test.what}: /health max ${ms(Math.max(...result.latencies))}, request ${ms(result.requestMs)}, ${result.status}`,
      );
    }
    const cell = (latencies) => `${ms(percentile(latencies, 50))} | ${ms(percentile(latencies, 99))} | ${ms(Math.max(...latencies))}`;
    const lines = [
      `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "CPU"}; 1-minute load average at start: ${load.toFixed(2)}. /health polled every ${POLL_MS} ms while each request ran.`,
      "",
      "| while mallex reads… | placed in | /health p50 | p99 | max | slowest request (its input) |",
      "|---|---|---|---|---|---|",
      ...[...rows].map(
        ([regex, row]) => `| ${regex} | ${row.where} | ${cell(row.latencies)} | ${ms(row.slowest.ms)}${row.slowest.what ? ` (${row.slowest.what})` : ""} |`,
      ),
      `| **every adversarial request above** | | ${cell(all)} | |`,
    ];
    return lines.join("\n");
  } finally {
    agents.health.destroy();
    agents.post.destroy();
    await children.stopAll();
    await backend?.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(await benchHealthUnderFilters({ quick: process.argv.includes("--quick"), onRow: (row) => process.stderr.write(`${row}\n`) }));
