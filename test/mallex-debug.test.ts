/**
 * MALLEX_DEBUG and the saved last request, through `mallex proxy` as a user runs it: the fake
 * mlx-lm.server behind --backend-url (its api_key from ${LOCAL_BACKEND_API_KEY}), a fake Anthropic API
 * behind --anthropic-url for the Claude tier (ANTHROPIC_API_KEY), and Claude Code's captured
 * "what is 2+2" request. Each level logs what it promises, to stderr and mallex.log, and neither key
 * appears in any line or saved file; the backends did receive them, so they were in play.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { packageRoot, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { runCli } from "./helpers/run-cli.js";
import { describeWithShared, readCapture } from "./helpers/shared-dir.js";
import { filesUnder, secretLeakCheck } from "./helpers/secret-leaks.js";

const LOCAL_KEY = "sk-local-backend-SECRET-5f1e9a7c3b2d4e6f";
const CLAUDE_KEY = "sk-ant-test-CLAUDE-8d6b4f2a0c9e7a5c3e1f";
const CLIENT_KEY = "client-sent-key-7c2e9b4d1a6f";
/** Any recognisable part of a key: a line that cut or escaped one would still leak these. */
const FRAGMENTS = [LOCAL_KEY, CLAUDE_KEY, CLIENT_KEY, "SECRET-5f1e9a7c", "3b2d4e6f", "CLAUDE-8d6b4f2a", "0c9e7a5c3e1f", "7c2e9b4d1a6f"];
const ENV = { LOCAL_BACKEND_API_KEY: LOCAL_KEY, ANTHROPIC_API_KEY: CLAUDE_KEY };

const expectNoSecret = secretLeakCheck(FRAGMENTS);

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;

/** The Anthropic API: a streamed text answer, recording the key each request came with. */
async function startFakeAnthropic() {
  const received: IncomingHttpHeaders[] = [];
  const server: Server = createServer((req, res) => {
    received.push(req.headers);
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/event-stream", "request-id": "req_fakeapi" });
      res.write(
        sse("message_start", {
          message: {
            id: "msg_1",
            type: "message",
            role: "assistant",
            content: [],
            model: "claude-sonnet-4-6",
            stop_reason: null,
            stop_sequence: null,
            usage: { input_tokens: 21, output_tokens: 1 },
          },
        }),
      );
      res.write(sse("content_block_start", { index: 0, content_block: { type: "text", text: "" } }));
      res.write(sse("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Four." } }));
      res.write(sse("content_block_stop", { index: 0 }));
      res.write(sse("message_delta", { delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: 3 } }));
      res.end(sse("message_stop", {}));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { received, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

let mlx: FakeMlxServer;
let api: Awaited<ReturnType<typeof startFakeAnthropic>>;
let configDir: string;
const running: MallexProxyProcess[] = [];

/** The shipped config, with the local backend's key read from the environment and `extra` on top. */
function writeConfig(extra = ""): string {
  const dir = writeTree({
    "mallex.yaml": `include: ["${join(packageRoot, "mallex.yaml")}"]\nbackends:\n  mlx: { api_key: "\${LOCAL_BACKEND_API_KEY}" }\n${extra}`,
  });
  return join(dir, "mallex.yaml");
}

beforeAll(async () => {
  mlx = await createFakeMlxServer();
  api = await startFakeAnthropic();
  configDir = writeConfig();
});
afterAll(async () => {
  await Promise.all(running.map((proxy) => proxy.stop()));
  await mlx?.close();
  await api?.close();
});

async function startProxy(config: string, env: Record<string, string>): Promise<{ proxy: MallexProxyProcess; home: string }> {
  const home = mkdtempSync(join(tmpdir(), "mallex-debug-"));
  const proxy = await startProxyProcess(["--config", config, "--backend-url", mlx.url, "--anthropic-url", api.url], home, { ...ENV, ...env });
  running.push(proxy);
  return { proxy, home };
}

/** Claude Code's request as captured, sent as Claude Code sends it (its own key in x-api-key). */
async function sendClaudeCode(proxy: MallexProxyProcess, body: unknown): Promise<Response> {
  const response = await fetch(`${proxy.url}/v1/messages?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-api-key": CLIENT_KEY },
    body: JSON.stringify(body),
  });
  await response.text();
  return response;
}

/** Waits until `check` passes (the log and the saved request are written off the request's path). */
async function eventually(check: () => void, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

const readJson = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;

describeWithShared("MALLEX_DEBUG and the saved last request, through mallex proxy", () => {
  const request = readCapture("main-request-2plus2.json").body;
  const claudeTier = { model: "claude-sonnet", max_tokens: 64, stream: true, messages: [{ role: "user", content: "what is 2+2" }] };

  /** One local request (Claude Code's) and one to the Claude tier; the log once both are in it. */
  async function run(level: string): Promise<{ log: string; output: string; home: string }> {
    const { proxy, home } = await startProxy(configDir, { MALLEX_DEBUG: level });
    mlx.script({ text: ["2 + 2", " = 4."] });
    expect((await sendClaudeCode(proxy, request)).status).toBe(200);
    expect((await sendClaudeCode(proxy, claudeTier)).status).toBe(200);
    const logFile = join(home, "mallex.log");
    await eventually(() => expect((readFileSync(logFile, "utf8").match(/debug response: /g) ?? []).length).toBe(2));
    await eventually(() => expect(readJson(join(home, "last-request", "route.json")).profile).toBe("claude-sonnet"));
    // The keys were in play: each backend got its own.
    expect(mlx.requests.at(-1)!.headers.authorization).toBe(`Bearer ${LOCAL_KEY}`);
    expect(api.received.at(-1)!["x-api-key"]).toBe(CLAUDE_KEY);
    const log = readFileSync(logFile, "utf8");
    for (const [path, text] of filesUnder(home)) expectNoSecret(path, text);
    expectNoSecret("stdout/stderr", proxy.output());
    return { log, output: proxy.output(), home };
  }

  it("1: the route and why, every trim rule, the upstream URL, model, status and timings, the end; no bodies", async () => {
    const { log, output } = await run("1");
    expect(log).toMatch(
      /debug route: claude-opus-4-8 → tier medium → profile qwen3-coder-30b \(model [^)]*backend mlx: openai\/mlx-lm\) · why: [^·]*→ medium · req_/,
    );
    expect(log).toMatch(/debug trim: 7\d,\d{3} → \d,\d{3} chars, .* · system: template system-medium \[[^\]]+\] · tools: native, 11 offered \[Bash, /);
    expect(log).toContain("debug trim rule billing-header at system.0: −74 chars");
    expect(log).toMatch(/debug trim rule tool-allowlist at tools\.\w+: −[\d,]+ chars/);
    expect(log).toMatch(new RegExp(`debug upstream → POST ${mlx.url}/chat/completions · no model \\(the server's loaded one\\) · streamed · [\\d,]+ bytes`));
    expect(log).toMatch(/debug upstream ← 200 after [\d,]+ ms \(headers\)/);
    expect(log).toMatch(/debug upstream answer ended after [\d,]+ ms/);
    expect(log).toMatch(/debug response: 200 ok after [\d,]+ ms · ttft [\d,]+ ms · stop end_turn · in [\d,]+ tok \(\d+ cached\) · out \d+ tok/);
    // The Claude tier: the model sent, the API's status, and its stop reason and usage read from the stream.
    expect(log).toContain(
      "debug route: claude-sonnet → profile claude-sonnet (model claude-sonnet-4-6, large size, backend anthropic: anthropic/generic) · why: model claude-sonnet is a profile",
    );
    expect(log).toMatch(new RegExp(`debug upstream → POST ${api.url}/v1/messages · model claude-sonnet-4-6 · streamed`));
    expect(log).toMatch(/debug response: 200 ok after [\d,]+ ms · stop end_turn · in 21 tok \(0 cached\) · out 3 tok/);
    for (const higher of ["debug upstream request body:", "debug upstream answer:", "debug client request:", "debug sent:"]) expect(log).not.toContain(higher);
    // On stderr too, like every other line.
    expect(output).toContain("debug trim rule billing-header at system.0");
  });

  it("2: also the upstream request body and the upstream answer as received; not the client's side", async () => {
    const { log } = await run("2");
    expect(log).toMatch(/debug upstream request body: \{"messages":\[\{"role":"system","content":"You are a coding agent/);
    expect(log).toMatch(/debug upstream answer: .*data: \{"id": "chatcmpl-.*"content": "2 \+ 2"/);
    expect(log).toMatch(/debug upstream answer: event: message_delta\\ndata: \{"type":"message_delta","delta":\{"stop_reason":"end_turn"/);
    expect(log).toContain('debug upstream request body: {"model":"claude-sonnet-4-6"');
    for (const higher of ["debug client request:", "debug sent:"]) expect(log).not.toContain(higher);
    // One line each, cut to a sane size.
    for (const line of log.split("\n")) expect(line.length).toBeLessThan(4500);
  });

  it("2, a request too large to serialize whole (sent in pieces, issue 24): its model, its size as sent, and its start, cut with the whole's length", async () => {
    const { proxy, home } = await startProxy(configDir, { MALLEX_DEBUG: "2" });
    const large = { ...claudeTier, messages: [{ role: "user", content: `naïve 🙂 ${"p".repeat(2 * 1024 * 1024)}` }] };
    expect((await sendClaudeCode(proxy, large)).status).toBe(200);
    const sentBytes = Number(api.received.at(-1)!["content-length"]);
    const sentText = JSON.stringify({ ...large, model: "claude-sonnet-4-6" });
    expect(sentBytes).toBe(Buffer.byteLength(sentText));
    const logFile = join(home, "mallex.log");
    await eventually(() => expect(readFileSync(logFile, "utf8")).toContain("debug response: "));
    const log = readFileSync(logFile, "utf8");
    expect(log).toContain(`debug upstream → POST ${api.url}/v1/messages · model claude-sonnet-4-6 · streamed · ${sentBytes.toLocaleString("en-US")} bytes`);
    expect(log).toContain(
      `debug upstream request body: {"model":"claude-sonnet-4-6","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"naïve 🙂 ppp`,
    );
    expect(log).toContain(`… (+${sentText.length - 4000} chars)`);
    for (const line of log.split("\n")) expect(line.length).toBeLessThan(4500);
  });

  it("3: also the client's request and every event sent back, credentials redacted", async () => {
    const { log } = await run("3");
    expect(log).toMatch(
      /debug client request: POST \/v1\/messages\?beta=true · headers \{[^}]*"x-api-key":"\[redacted\]"[^}]*\} · body \{"model":"claude-opus-4-8"/,
    );
    for (const type of ["message_start", "content_block_start", "content_block_delta", "message_delta", "message_stop"])
      expect(log).toContain(`debug sent: event: ${type}\\ndata: {"type":"${type}"`);
    expect(log).toMatch(
      /debug sent: event: content_block_delta\\ndata: \{"type":"content_block_delta","index":0,"delta":\{"type":"text_delta","text":" = 4\."\}\}/,
    );
  });

  it("saves the last request (client request, upstream call, route and trimming, summary) and replaces it with the next", async () => {
    const { proxy, home } = await startProxy(configDir, {});
    const dir = join(home, "last-request");
    mlx.script({ text: ["4"] });
    const first = await sendClaudeCode(proxy, request);
    const firstId = first.headers.get("request-id")!;
    await eventually(() => expect(readJson(join(dir, "response.json")).request_id).toBe(firstId));
    expect(readdirSync(dir).sort()).toEqual(["request.json", "response.json", "route.json", "upstream.json"]);
    const files = Object.fromEntries(readdirSync(dir).map((name) => [name, readJson(join(dir, name))]));
    for (const file of Object.values(files)) expect(file.request_id).toBe(firstId);
    expect(files["request.json"]).toMatchObject({
      method: "POST",
      path: "/v1/messages?beta=true",
      headers: { "x-api-key": "[redacted]" },
      body: { model: "claude-opus-4-8", stream: true },
    });
    expect(files["upstream.json"]).toMatchObject({
      method: "POST",
      url: `${mlx.url}/chat/completions`,
      headers: { authorization: "[redacted]", "content-type": "application/json" },
      status: 200,
    });
    expect((files["upstream.json"]!.body as { messages: unknown[] }).messages.length).toBeGreaterThan(1);
    expect(files["route.json"]).toMatchObject({
      routed: true,
      tier: "medium",
      profile: "qwen3-coder-30b",
      backend: "mlx",
      reason: expect.stringMatching(/→ medium$/),
    });
    const trims = files["route.json"]!.trims as Array<{ rules: Array<{ rule: string }> }>;
    expect(trims[0]!.rules.map((r) => r.rule)).toContain("billing-header");
    expect(files["response.json"]).toMatchObject({ status: 200, outcome: "ok", stop_reason: "end_turn", error: null });
    expect((files["response.json"]!.usage as { output_tokens: number }).output_tokens).toBeGreaterThan(0);

    // The next request replaces every file; one the backend fails says why.
    mlx.script({ failure: "http-error", status: 500, errorBody: { error: "model crashed" } });
    const second = await sendClaudeCode(proxy, { model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user", content: "and 3+3?" }] });
    expect(second.status).toBe(502);
    const secondId = second.headers.get("request-id")!;
    await eventually(() => expect(readJson(join(dir, "response.json")).request_id).toBe(secondId));
    for (const name of readdirSync(dir)) expect(readJson(join(dir, name)).request_id).toBe(secondId);
    expect(readJson(join(dir, "response.json"))).toMatchObject({ status: 502, outcome: "error", error: expect.stringContaining("model crashed") });
    expect(readJson(join(dir, "upstream.json"))).toMatchObject({ status: 500 });
    for (const [path, text] of filesUnder(home)) expectNoSecret(path, text);
    // No debug lines when MALLEX_DEBUG is not set.
    expect(readFileSync(join(home, "mallex.log"), "utf8")).not.toContain("debug ");
  });

  it("saves nothing with observability.save_last_request: false", async () => {
    const { proxy, home } = await startProxy(writeConfig("observability: { save_last_request: false }\n"), {});
    mlx.script({ text: ["4"] });
    expect((await sendClaudeCode(proxy, request)).status).toBe(200);
    // The request's line is in the log: a save would have been queued by then.
    await eventually(() => expect(readFileSync(join(home, "mallex.log"), "utf8")).toContain("claude-opus-4-8 → qwen3-coder-30b"));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(existsSync(join(home, "last-request"))).toBe(false);
  });
});

it("an invalid MALLEX_DEBUG is a usage error of mallex proxy and mallex run, before anything starts", async () => {
  const home = mkdtempSync(join(tmpdir(), "mallex-debug-"));
  for (const command of ["proxy", "run"]) {
    const result = await runCli([command, "--config", configDir, "--backend-url", "http://127.0.0.1:9/v1"], {
      env: { MALLEX_HOME: home, MALLEX_DEBUG: "yes" },
    });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('MALLEX_DEBUG must be 1, 2 or 3 (or 0 for off), got "yes"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
  expect(existsSync(join(home, "mallex.log"))).toBe(false);
});
