/**
 * The Anthropic key never leaks: with ANTHROPIC_API_KEY set and every request routed to the Claude tier
 * (a fake Anthropic API on localhost, the backend's base_url in a test config) failing in every way —
 * 401, 400, 500, 529, silence past the timeout, a reset, a stream cut short, an answer that is not
 * JSON, and requests mallex itself refuses — the key appears in no answer, not in stdout/stderr, not
 * in mallex.log or anything else under MALLEX_HOME, not in generated/, not in `mallex doctor` or
 * `mallex explain` output. The fake API does receive it, so the key was really in play.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { runCli } from "./helpers/run-cli.js";
import { wireRequest, type WireReply } from "./helpers/wire-client.js";
import { filesUnder, secretLeakCheck } from "./helpers/secret-leaks.js";

const SECRET = "sk-ant-test-SECRET-3f9a1c7e5b2d4a6f8e0c1b3d5f7a9c2e4b6d8f0a";
/** Any recognisable part of it: a log that cut or escaped the key would still leak these. */
const FRAGMENTS = [SECRET, "SECRET-3f9a1c7e", "5b2d4a6f8e0c1b3d", "c2e4b6d8f0a"];

const expectNoSecret = secretLeakCheck(FRAGMENTS);

const sse = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const apiError = (type: string, message: string) => JSON.stringify({ type: "error", error: { type, message }, request_id: "req_fakeapi" });

/** The fake API: how it fails is named in the last user message (`fail:<how>`). */
function fakeApi(req: IncomingMessage, res: ServerResponse, body: string, keys: string[]) {
  keys.push(String(req.headers["x-api-key"] ?? ""));
  const how = /fail:([\w-]+)/.exec(body)?.[1] ?? "none";
  const json = (status: number, text: string) => res.writeHead(status, { "content-type": "application/json", "request-id": "req_fakeapi" }).end(text);
  switch (how) {
    case "401":
      return json(401, apiError("authentication_error", "invalid x-api-key"));
    case "400":
      return json(400, apiError("invalid_request_error", "messages: roles must alternate"));
    case "500":
      return json(500, apiError("api_error", "Internal server error"));
    case "529":
      return json(529, apiError("overloaded_error", "Overloaded"));
    case "not-json":
      return res.writeHead(200, { "content-type": "application/json" }).end("<html>oops</html>");
    case "reset":
      return req.socket.destroy();
    case "silent":
      return; // nothing, past the backend's timeout
    case "cut-stream":
      res.writeHead(200, { "content-type": "text/event-stream" });
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
            usage: { input_tokens: 1, output_tokens: 0 },
          },
        }),
      );
      return setTimeout(() => req.socket.destroy(), 50);
    default:
      return json(
        200,
        JSON.stringify({
          id: "msg_1",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-6",
          content: [{ type: "text", text: "fine" }],
          stop_reason: "end_turn",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        }),
      );
  }
}

let api: Server;
const keysSeen: string[] = [];
let proxy: MallexProxyProcess;
let home: string;
let configDir: string;
const replies: WireReply[] = [];

beforeAll(async () => {
  api = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => fakeApi(req, res, body, keysSeen));
  });
  await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  configDir = writeTree({
    "mallex.yaml": `backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:9/v1" }
  anthropic: { kind: anthropic, base_url: "${apiUrl}", api_key: "\${ANTHROPIC_API_KEY}", timeout_s: 1 }
profiles:
  small: { backend: local, model: test-model, size: small }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  medium: { profile: claude }
`,
  });
  home = mkdtempSync(join(tmpdir(), "mallex-secrets-"));
  proxy = await startProxyProcess(["--config", join(configDir, "mallex.yaml")], home, { ANTHROPIC_API_KEY: SECRET });
}, 30_000);
afterAll(async () => {
  await proxy?.stop();
  api?.closeAllConnections();
  await new Promise((resolve) => api?.close(resolve));
});

const FAILURES = ["401", "400", "500", "529", "not-json", "reset", "silent", "cut-stream"];

describe("ANTHROPIC_API_KEY never leaks", () => {
  it("from answers, when the Claude tier fails in every way (streamed and not) and when mallex refuses a request", async () => {
    for (const how of FAILURES) {
      for (const stream of [false, true]) {
        const body = JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, stream, messages: [{ role: "user", content: `Find the bug. fail:${how}` }] });
        replies.push(await wireRequest(proxy.url, { path: "/v1/messages", body, timeoutMs: 10_000 }));
      }
    }
    // Refused by mallex itself: bad JSON, a bad body, a foreign host, a wrong route.
    replies.push(await wireRequest(proxy.url, { path: "/v1/messages", body: "{oops" }));
    replies.push(await wireRequest(proxy.url, { path: "/v1/messages", body: JSON.stringify({ model: SECRET, messages: [] }) }));
    replies.push(await wireRequest(proxy.url, { path: "/v1/messages", headers: { host: "evil.example" }, body: "{}" }));
    replies.push(await wireRequest(proxy.url, { method: "GET", path: "/v1/nothing" }));
    // A request that works, so the key is known to be in play.
    replies.push(
      await wireRequest(proxy.url, {
        path: "/v1/messages",
        body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "Find the bug." }] }),
      }),
    );
    expect(replies.at(-1)!.status).toBe(200);
    expect(keysSeen.length).toBeGreaterThanOrEqual(FAILURES.length * 2);
    expect(new Set(keysSeen)).toEqual(new Set([SECRET]));
    // Each failure was answered as one (not all 200s): the test exercised the error paths.
    expect(replies.filter((r) => r.status >= 400).length).toBeGreaterThanOrEqual(FAILURES.length);
    for (const reply of replies) {
      expectNoSecret(`an answer (${reply.status})`, reply.body);
      expectNoSecret(`the headers of an answer (${reply.status})`, JSON.stringify(reply.headers));
    }
  }, 30_000);

  it("from stdout/stderr, mallex.log and every file under MALLEX_HOME, and generated/", async () => {
    await proxy.stop();
    expectNoSecret("the proxy's stdout/stderr", proxy.output());
    const state = filesUnder(home);
    expect(state.map(([path]) => path).some((path) => path.endsWith("mallex.log"))).toBe(true);
    for (const [path, text] of state) expectNoSecret(path, text);
    const generated = filesUnder(configDir).filter(([path]) => path.includes("generated"));
    expect(generated.length).toBeGreaterThan(0);
    for (const [path, text] of generated) expectNoSecret(path, text);
  }, 30_000);

  it("from mallex doctor and mallex explain", async () => {
    const env = { ANTHROPIC_API_KEY: SECRET, MALLEX_HOME: home };
    const config = join(configDir, "mallex.yaml");
    for (const args of [
      ["doctor", "--config", config],
      ["doctor", "--config", config, "--json"],
    ]) {
      const result = await runCli(args, { env, cwd: configDir });
      expect(result.all ?? `${String(result.stdout)}${String(result.stderr)}`).not.toBe("");
      expectNoSecret(`mallex ${args.join(" ")}`, `${String(result.stdout)}\n${String(result.stderr)}`);
    }
    const request = join(mkdtempSync(join(tmpdir(), "mallex-explain-")), "request.json");
    writeFileSync(request, JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 16, messages: [{ role: "user", content: "Find the bug." }] }));
    for (const args of [
      ["explain", request, "--config", config],
      ["explain", request, "--config", config, "--json"],
      ["explain", request, "--config", config, "--profile", "claude"],
    ]) {
      const result = await runCli(args, { env, cwd: configDir });
      expect(`${String(result.stdout)}${String(result.stderr)}`).not.toBe("");
      expectNoSecret(`mallex ${args.join(" ")}`, `${String(result.stdout)}\n${String(result.stderr)}`);
    }
  }, 30_000);
});
