import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { runInOwnGroup } from "../shared/run-in-own-group.js";
import { toAnthropicError } from "../translate/anthropic-error.js";

// Captures the first Messages request a real Claude Code CLI sends: `claude -p … --output-format json`
// run offline (a fresh HOME, no retries, no non-essential traffic, stdin closed) against a fake
// Anthropic API on 127.0.0.1 that records what it is sent and answers "4". Nothing leaves the
// machine. `mallex run` learns an unseen release's own text this way (learn-claude-code-lines.ts),
// and the project's scripts capture the checked releases with it (scripts/claude-code/).

/** The question a capture asks. */
export const DEFAULT_PROMPT = "what is 2+2";

/**
 * The environment Claude Code runs offline in, and nothing else of the caller's: `home` as HOME (a
 * fresh one: nothing of the user's settings, memory or agents is read), `path` as PATH, no
 * non-essential traffic, no telemetry or updates, no retries.
 */
export function offlineClaudeEnv(home: string, path = "/usr/bin:/bin"): Record<string, string> {
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

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** The body as the client sent it: whatever JSON it is. */
  body: unknown;
}

export interface FakeAnthropicApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** A tool call the fake answers with, to script a conversation. */
export type ScriptedCall = { name: string; input: unknown };

/** The answer the fake API gives every request. */
const ANSWER = "4";

/**
 * A fake Anthropic Messages API on 127.0.0.1: records every POST (url, headers, parsed body) and
 * answers a short text, as an SSE stream when the request says `stream: true`, else as JSON — or the
 * tool call `callTool(body)` returns for it. Anything else (Claude Code's `HEAD /` warm-up) gets an
 * empty 200.
 */
export async function startFakeAnthropicApi(options: { callTool?: (body: unknown) => ScriptedCall | undefined } = {}): Promise<FakeAnthropicApi> {
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.method !== "POST") {
        res.writeHead(200);
        res.end();
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify(toAnthropicError(400, "invalid_request_error", "body is not JSON")));
        return;
      }
      requests.push({ method: req.method, url: req.url ?? "", headers: flatHeaders(req.headers), body });
      answer(res, body, `msg_fake_${requests.length}`, options.callTool?.(body));
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

function answer(res: ServerResponse, body: unknown, id: string, call: ScriptedCall | undefined): void {
  const fields = fieldsOf(body);
  const model = typeof fields.model === "string" ? fields.model : "claude";
  const usage = { input_tokens: 1, output_tokens: 1 };
  const message = { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage };
  if (fields.stream !== true) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ...message, content: [{ type: "text", text: ANSWER }], stop_reason: "end_turn" }));
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", { message });
  if (call !== undefined) {
    event("content_block_start", { index: 0, content_block: { type: "tool_use", id: `toolu_${id}`, name: call.name, input: {} } });
    event("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(call.input) } });
  } else {
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
    event("content_block_delta", { index: 0, delta: { type: "text_delta", text: ANSWER } });
  }
  event("content_block_stop", { index: 0 });
  event("message_delta", { delta: { stop_reason: call !== undefined ? "tool_use" : "end_turn", stop_sequence: null }, usage: { output_tokens: 1 } });
  event("message_stop", {});
  res.end();
}

/** The fields of a request body the fake and the capture read; none of a body that is not an object. */
function fieldsOf(body: unknown): { model?: unknown; stream?: unknown; system?: unknown; tools?: unknown } {
  return typeof body === "object" && body !== null ? body : {};
}

/** The names of the tools a request body offers. */
function toolNames(body: unknown): string[] {
  const tools = fieldsOf(body).tools;
  return Array.isArray(tools) ? tools.flatMap((tool: { name?: unknown }) => (typeof tool?.name === "string" ? [tool.name] : [])) : [];
}

/** Node's incoming headers as name → string (repeated ones joined with ", "). */
function flatHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).flatMap(([name, value]) => (value === undefined ? [] : [[name, Array.isArray(value) ? value.join(", ") : value]])),
  );
}

export interface CaptureOptions {
  /** The Claude Code executable (a release before the native binary: its cli.js, run with this node). */
  bin: string;
  prompt?: string;
  /** Added to (or replacing) the offline environment. */
  env?: Readonly<Record<string, string>>;
  /** CLI arguments after the prompt, e.g. ["--append-system-prompt", "…"]. */
  args?: readonly string[];
  /**
   * A built-in subagent type (Explore, Plan…): the fake answers the agent's first request with a call
   * of its Agent tool (Task before 2.1.150) for it, and the capture is that subagent's first request.
   */
  subagent?: string;
  /** Files written into the project first: path → text (`.claude/agents/reviewer.md`, a skill's `SKILL.md`). */
  files?: Readonly<Record<string, string>>;
  /** Makes the project folder the CLI runs in (removed after): default an empty one, where nothing is anyone's. */
  makeProject?: () => string;
  /** PATH for the CLI (default /usr/bin:/bin): a `claude` that is a node script needs node on it. */
  path?: string;
  timeoutMs?: number;
  /** Ends the CLI's process group, as the timeout does. */
  signal?: AbortSignal;
}

export interface Capture {
  url: string;
  headers: Record<string, string>;
  /** The request body as Claude Code sent it. */
  body: unknown;
}

export interface CaptureRun extends Capture {
  requests: RecordedRequest[];
  exitCode: number | undefined;
  /** The CLI's stdout and stderr, interleaved. */
  output: string;
}

/**
 * Runs `bin -p <prompt> --output-format json` offline, in a fresh HOME and the project
 * `makeProject` makes, against a fresh fake API, and returns the first POST /v1/messages it received
 * (with `subagent`, that subagent's), with every request and the CLI's own output. The CLI runs in a
 * process group of its own, which is ended at the time limit or when `signal` aborts. Throws when
 * the CLI sent no such request.
 */
export async function captureFirstRequest(options: CaptureOptions): Promise<CaptureRun> {
  const { bin, prompt = DEFAULT_PROMPT, env = {}, args = [], subagent, files = {}, timeoutMs = 60_000 } = options;
  let delegated = false;
  const callTool = (body: unknown): ScriptedCall | undefined => {
    const tool = toolNames(body).find((name) => name === "Agent" || name === "Task");
    if (subagent === undefined || delegated || tool === undefined) return undefined;
    delegated = true;
    return { name: tool, input: { description: "look around", prompt: "List the files of this repository.", subagent_type: subagent } };
  };
  const api = await startFakeAnthropicApi({ callTool });
  const home = mkdtempSync(join(tmpdir(), "mallex-capture-home-"));
  let project: string | undefined;
  try {
    project = options.makeProject?.() ?? mkdtempSync(join(tmpdir(), "mallex-capture-project-"));
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(project, path)), { recursive: true });
      writeFileSync(join(project, path), text);
    }
    const [command, argv] = bin.endsWith(".js") ? [process.execPath, [resolve(bin)]] : [resolve(bin), []];
    const run = await runInOwnGroup(command, [...argv, "-p", prompt, "--output-format", "json", ...args], {
      cwd: project,
      env: { ...offlineClaudeEnv(home, options.path), ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: "sk-test", ...env },
      timeoutMs,
      maxOutputChars: 1024 * 1024,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const messages = api.requests.filter((request) => new URL(request.url, api.url).pathname === "/v1/messages");
    const first =
      subagent === undefined
        ? messages[0]
        : messages.find(
            (request) =>
              fieldsOf(request.body).system !== undefined &&
              JSON.stringify(fieldsOf(request.body).system) !== JSON.stringify(fieldsOf(messages[0]?.body).system) &&
              toolNames(request.body).length > 0,
          );
    if (first === undefined) {
      const how = run.timedOut
        ? `still running after ${timeoutMs / 1000} s`
        : run.spawnError !== undefined
          ? run.spawnError
          : `exit ${run.exitCode ?? "by a signal"}`;
      throw new Error(`${bin} sent no POST /v1/messages (${how})${run.output.trim() === "" ? "" : `: ${run.output.trim().slice(0, 500)}`}`);
    }
    return { url: first.url, headers: first.headers, body: first.body, requests: api.requests, exitCode: run.exitCode, output: run.output };
  } finally {
    await api.close();
    if (project !== undefined) rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  }
}
