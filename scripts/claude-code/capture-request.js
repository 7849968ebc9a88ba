// Captures the first Messages request a real Claude Code CLI sends: runs `claude -p … --output-format
// json` offline (docs/claude-code.md: fresh HOME, no retries, no nonessential traffic, stdin closed) in
// a small git repository with a CLAUDE.md, against a fake Anthropic API on 127.0.0.1 that records what
// it is sent and answers "4". Nothing leaves the machine. Plain JavaScript: `npm run check:claude-code`
// runs it with node directly, and the tests import it (capture-request.d.ts types it).
//
//   node scripts/claude-code/capture-request.js <claude binary> [out.json]
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Where captures are cached, one JSON file per (version, options).
 * @type {typeof import("./capture-request.js").CAPTURE_CACHE_DIR}
 */
export const CAPTURE_CACHE_DIR = join(ROOT, "node_modules", ".cache", "mallex", "claude-code-captures");

/** @type {typeof import("./capture-request.js").DEFAULT_PROMPT} */
export const DEFAULT_PROMPT = "what is 2+2";

/**
 * The environment Claude Code runs offline in (docs/claude-code.md), and nothing else of the
 * caller's: `home` as HOME, `path` as PATH (the folder with the `claude` to run first, or none when
 * it is run by its path), no nonessential traffic, no telemetry or updates, no retries.
 * @type {typeof import("./capture-request.js").offlineClaudeEnv}
 */
export function offlineClaudeEnv(home, path = "/usr/bin:/bin") {
  return {
    HOME: home,
    PATH: path,
    TERM: "dumb",
    LANG: "C.UTF-8",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_TELEMETRY: "1",
    DISABLE_AUTOUPDATER: "1",
    CLAUDE_CODE_MAX_RETRIES: "0",
  };
}

/**
 * A Claude Code installed in node_modules — the pinned `@anthropic-ai/claude-code`, or the newest and
 * an older release as their aliases `claude-code-newest`, `claude-code-older` — read from its own
 * package.json: its version and its `claude` (a native binary since about 2.1.150, `cli.js` before;
 * never `node_modules/.bin/claude`, which all of them claim). Undefined when it is not installed.
 * @type {typeof import("./capture-request.js").installedClaudeCode}
 */
export function installedClaudeCode(packageName) {
  const dir = join(ROOT, "node_modules", packageName);
  let text;
  try {
    text = readFileSync(join(dir, "package.json"), "utf8");
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(text);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin.claude;
  return { version: manifest.version, bin: join(dir, bin) };
}

/** The answer the fake API gives every request. */
const ANSWER = "4";

/**
 * A fake Anthropic Messages API on 127.0.0.1: records every POST (url, headers, parsed body) and
 * answers a short text, as an SSE stream when the request says `stream: true`, else as JSON — or, to
 * script a conversation, the tool call `callTool(body)` returns for it (`{ name, input }`). Anything
 * else (Claude Code's `HEAD /` warm-up) gets an empty 200.
 * @type {typeof import("./capture-request.js").startFakeAnthropicApi}
 */
export async function startFakeAnthropicApi({ callTool } = {}) {
  /** @type {{ method: string; url: string; headers: Record<string, string>; body: any }[]} */
  const requests = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(200);
        res.end();
        return;
      }
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ type: "error", error: { type: "invalid_request_error", message: "body is not JSON" } }));
        return;
      }
      requests.push({ method: req.method, url: req.url ?? "", headers: flatHeaders(req.headers), body });
      answer(res, body, `msg_fake_${requests.length}`, callTool?.(body));
    });
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", () => done(undefined)));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((done) => {
        server.closeAllConnections();
        server.close(() => done(undefined));
      }),
  };
}

function answer(res, body, id, call) {
  const model = typeof body?.model === "string" ? body.model : "claude";
  const usage = { input_tokens: 1, output_tokens: 1 };
  if (call !== undefined && body?.stream === true) {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const event = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
    event("message_start", { message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage } });
    event("content_block_start", { index: 0, content_block: { type: "tool_use", id: `toolu_${id}`, name: call.name, input: {} } });
    event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(call.input) } });
    event("content_block_stop", { index: 0 });
    event("message_delta", { delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 1 } });
    event("message_stop", {});
    res.end();
    return;
  }
  if (body?.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id,
        type: "message",
        role: "assistant",
        model,
        content: [{ type: "text", text: ANSWER }],
        stop_reason: "end_turn",
        stop_sequence: null,
        usage,
      }),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const event = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", { message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage } });
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text: ANSWER } });
  event("content_block_stop", { index: 0 });
  event("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } });
  event("message_stop", {});
  res.end();
}

/** Node's incoming headers as name → string (repeated ones joined with ", "). */
function flatHeaders(headers) {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]])),
  );
}

/**
 * A small git repository with a CLAUDE.md, like the one the shared captures were made in.
 * @type {typeof import("./capture-request.js").makeCaptureProject}
 */
export function makeCaptureProject(claudeMd = "# Project notes\n- Keep answers short.\n") {
  const dir = mkdtempSync(join(tmpdir(), "mallex-project-"));
  writeFileSync(join(dir, "CLAUDE.md"), claudeMd);
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  const git = (...args) => execFileSync("git", args, { cwd: dir, env, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "initial commit");
  return dir;
}

/**
 * Runs `bin -p <prompt> --output-format json` offline against a fresh fake API and returns the
 * first POST /v1/messages it received, with every request and the CLI's own output. `env` adds to
 * (or replaces) the offline environment; `args` go after the prompt (`--append-system-prompt …`,
 * `--permission-mode plan`). With `subagent` (a built-in agent type: Explore, Plan…), the fake answers
 * the agent's first request with a call of its Agent tool (Task before 2.1.150) for that type, and the
 * capture is that subagent's first request. `files` are written into the project first (path → text:
 * `.claude/agents/reviewer.md`, a skill's `SKILL.md`). Throws when the CLI sent no Messages request.
 * @type {typeof import("./capture-request.js").captureFirstRequest}
 */
export async function captureFirstRequest({ bin, prompt = DEFAULT_PROMPT, env = {}, args = [], subagent, files = {}, timeoutMs = 60_000 }) {
  let delegated = false;
  const callTool = (body) => {
    const tool = (body.tools ?? []).find((candidate) => candidate.name === "Agent" || candidate.name === "Task");
    if (subagent === undefined || delegated || tool === undefined) return undefined;
    delegated = true;
    return { name: tool.name, input: { description: "look around", prompt: "List the files of this repository.", subagent_type: subagent } };
  };
  const api = await startFakeAnthropicApi({ callTool });
  const project = makeCaptureProject();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), text);
  }
  const home = mkdtempSync(join(tmpdir(), "mallex-capture-home-"));
  try {
    const run = await runCli(resolve(bin), ["-p", prompt, "--output-format", "json", ...args], {
      cwd: project,
      timeoutMs,
      env: { ...offlineClaudeEnv(home), ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-test", ...env },
    });
    const messages = api.requests.filter((request) => new URL(request.url, api.url).pathname === "/v1/messages");
    const first =
      subagent === undefined
        ? messages[0]
        : messages.find(
            (request) =>
              request.body.system !== undefined &&
              JSON.stringify(request.body.system) !== JSON.stringify(messages[0]?.body.system) &&
              (request.body.tools ?? []).length > 0,
          );
    if (first === undefined) {
      throw new Error(
        `${bin} sent no POST /v1/messages (exit ${run.exitCode}${run.signal ? `, ${run.signal}` : ""}): ${(run.stderr || run.stdout).slice(0, 500)}`,
      );
    }
    return { url: first.url, headers: first.headers, body: first.body, requests: api.requests, exitCode: run.exitCode, stdout: run.stdout, stderr: run.stderr };
  } finally {
    await api.close();
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

/** Runs a command with stdin closed; resolves with its exit code and output, killing it past the timeout. */
function runCli(bin, args, { cwd, env, timeoutMs }) {
  return new Promise((done, fail) => {
    // A release before the native binary is a script for node, which the offline PATH may not hold.
    const [command, argv] = bin.endsWith(".js") ? [process.execPath, [bin, ...args]] : [bin, args];
    const child = spawn(command, argv, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      fail(error);
    });
    child.on("close", (exitCode, signal) => {
      clearTimeout(timer);
      done({ exitCode, signal, stdout, stderr });
    });
  });
}

/**
 * captureFirstRequest, cached on disk per (version, prompt, env, this file's text) in `cacheDir`, so
 * a test run captures each version once. Concurrent processes may both capture; the last rename wins.
 * @type {typeof import("./capture-request.js").captureFirstRequestCached}
 */
export async function captureFirstRequestCached({
  bin,
  version,
  prompt = DEFAULT_PROMPT,
  env = {},
  args = [],
  subagent,
  files = {},
  cacheDir = CAPTURE_CACHE_DIR,
}) {
  const file = join(cacheDir, `${version}-${captureKey(version, prompt, env, args, subagent, files)}.json`);
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // not cached yet (or unreadable): capture it
  }
  const { url, headers, body } = await captureFirstRequest({ bin, prompt, env, args, subagent, files });
  const capture = { version, url, headers, body };
  mkdirSync(cacheDir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(capture));
  renameSync(partial, file);
  return capture;
}

function captureKey(version, prompt, env, args, subagent, files) {
  const sortedEnv = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  const self = readFileSync(fileURLToPath(import.meta.url), "utf8");
  return createHash("sha256")
    .update(JSON.stringify({ version, prompt, env: sortedEnv, args, subagent, files, self }))
    .digest("hex")
    .slice(0, 16);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [bin, out] = process.argv.slice(2);
  if (bin === undefined) {
    console.error("usage: node scripts/claude-code/capture-request.js <claude binary> [out.json]");
    process.exit(2);
  }
  const capture = await captureFirstRequest({ bin });
  const text = JSON.stringify({ url: capture.url, headers: capture.headers, body: capture.body }, null, 1);
  if (out === undefined) console.log(text);
  else {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, `${text}\n`);
    console.error(`${out}: ${capture.body.model}, ${JSON.stringify(capture.body).length} chars, exit ${capture.exitCode}`);
  }
}
