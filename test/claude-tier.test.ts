/**
 * The Claude tier inside one conversation: a session that moves from a local model to Claude and back
 * (the history Claude gets is cleaned of what the local model left in it), and the circuit breaker in
 * front of the Anthropic API (a failing API sends the tier to its fallback until a probe succeeds).
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCircuitBreakers } from "../src/backends/circuit-breaker.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

/** A stand-in for the Anthropic API: records each request, answers `status` (200: a text message). */
async function startFakeAnthropic() {
  const received: Array<{ headers: IncomingMessage["headers"]; body: { model: string; messages: Array<{ role: string; content: unknown }> } }> = [];
  const state = { status: 200, retryAfter: undefined as string | undefined };
  const server = createServer((req, res) => {
    let text = "";
    req.on("data", (c: Buffer) => (text += c.toString()));
    req.on("end", () => {
      received.push({ headers: req.headers, body: JSON.parse(text) });
      if (state.status !== 200) {
        res.writeHead(state.status, { "content-type": "application/json", ...(state.retryAfter ? { "retry-after": state.retryAfter } : {}) });
        return res.end(JSON.stringify({ type: "error", error: { type: state.status === 529 ? "overloaded_error" : "api_error", message: "down" } }));
      }
      res.writeHead(200, { "content-type": "application/json", "request-id": "req_claude" });
      res.end(
        JSON.stringify({
          id: "msg_c",
          type: "message",
          role: "assistant",
          model: "claude-sonnet-4-6",
          content: [{ type: "tool_use", id: "toolu_01Claude", name: "Read", input: { file_path: "/b.ts" } }],
          stop_reason: "tool_use",
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 2 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { received, state, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

const READ_TOOL = {
  name: "Read",
  description: "Read a file",
  input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] },
};

let mlx: FakeMlxServer;
let anthropic: Awaited<ReturnType<typeof startFakeAnthropic>>;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
  anthropic = await startFakeAnthropic();
});
afterAll(() => {
  mlx.close();
  anthropic.close();
});

function proxyWithClaude() {
  const table = structuredClone(defaultTable);
  table.backends.anthropic!.baseUrl = anthropic.url;
  return createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" } });
}

describe("a session moving local → Claude → local", () => {
  it("reaches Claude without local thinking, mallex's notes or ids the API refuses, and comes back local", async () => {
    const proxy = proxyWithClaude();
    const local = "qwen3-coder-30b";
    // Turn 1, local: the model thinks, reads a file (with a Kimi-style id, as another proxy would have
    // passed on) and writes a call to a tool that does not exist, which mallex turns into a note.
    mlx.script({ reasoning: "local thought", text: "Let me look.", toolCalls: [{ name: "Delete", arguments: { path: "/a.ts" } }] });
    const first = await proxy.post("/v1/messages", {
      model: local,
      max_tokens: 1024,
      tools: [READ_TOOL],
      thinking: { type: "enabled", budget_tokens: 512 },
      messages: [{ role: "user", content: "fix /a.ts" }],
    });
    expect(first.status).toBe(200);
    const turn1 = (await first.json()) as { content: Array<{ type: string; text?: string }> };
    const noted = turn1.content.find((block) => block.type === "text" && block.text!.includes("[mallex: the model wrote a tool call that was not run: "));
    expect(noted).toBeDefined();

    // Turn 2, Claude (the request names its profile): the history as the client keeps it.
    const history = [
      { role: "user", content: "fix /a.ts" },
      { role: "assistant", content: [...turn1.content, { type: "tool_use", id: "functions.Read:0", name: "Read", input: { file_path: "/a.ts" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "functions.Read:0", content: "export const a = 1;" }] },
    ];
    const second = await proxy.post("/v1/messages", { model: "claude-sonnet", max_tokens: 1024, tools: [READ_TOOL], messages: history });
    expect(second.status).toBe(200);
    const turn2 = (await second.json()) as { content: unknown[] };
    expect(anthropic.received).toHaveLength(1);
    const sent = anthropic.received[0]!.body.messages;
    expect(JSON.stringify(sent)).not.toContain("[mallex:");
    expect(JSON.stringify(sent)).not.toContain("local thought");
    expect(sent[1]!.content).toEqual([
      { type: "text", text: "Let me look." },
      // The note's first line is gone; what the model wrote stays.
      { type: "text", text: 'Delete {"path": "/a.ts"}' },
      { type: "tool_use", id: "functions_Read_0", name: "Read", input: { file_path: "/a.ts" } },
    ]);
    expect(sent[2]!.content).toEqual([{ type: "tool_result", tool_use_id: "functions_Read_0", content: "export const a = 1;" }]);

    // Turn 3, local again, with Claude's call and its result in the history: the local model gets it.
    mlx.script({ text: "Both files read." });
    const third = await proxy.post("/v1/messages", {
      model: local,
      max_tokens: 1024,
      tools: [READ_TOOL],
      messages: [
        ...history,
        { role: "assistant", content: turn2.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01Claude", content: "export const b = 2;" }] },
      ],
    });
    expect(third.status).toBe(200);
    expect(await third.json()).toMatchObject({ content: [{ type: "text", text: "Both files read." }] });
    expect(JSON.stringify(mlx.requests.at(-1)!.body)).toContain("export const b = 2;");
  });
});

describe("the Anthropic API's circuit breaker", () => {
  it("after N failures in a row sends the Claude tier to its fallback, honouring retry-after, then one probe closes it", async () => {
    const clock = { t: 0 };
    const breakers = createCircuitBreakers({ failureThreshold: 2, coolDownMs: 1_000, now: () => clock.t });
    const table = structuredClone(defaultTable);
    table.backends.anthropic!.baseUrl = anthropic.url;
    const proxy = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" }, ctx: { breakers } });
    const hard = { model: "claude-opus-4-8", max_tokens: 1024, messages: [{ role: "user", content: "Find the root cause of this deadlock" }] };
    const before = anthropic.received.length;
    const sentToClaude = () => anthropic.received.length - before;

    Object.assign(anthropic.state, { status: 529, retryAfter: "3" });
    expect((await proxy.post("/v1/messages", hard)).status).toBe(529);
    expect(breakers.state("anthropic")).toBe("closed");
    expect((await proxy.post("/v1/messages", hard)).status).toBe(529);
    expect(breakers.state("anthropic")).toBe("open");
    expect(sentToClaude()).toBe(2);

    // Open: the high tier's fallback (local) answers, and the API is not asked.
    mlx.script({ text: "local answer" });
    const fallback = await proxy.post("/v1/messages", hard);
    expect(fallback.status).toBe(200);
    expect(await fallback.json()).toMatchObject({ content: [{ type: "text", text: "local answer" }] });
    expect(sentToClaude()).toBe(2);
    expect(proxy.logs.at(-1)).toMatch(/^claude-opus-4-8 → qwen3-coder-30b \(intent hard_question → high → fallback medium\)/);

    // retry-after (3 s) outlasts the cool-down (1 s).
    clock.t += 2_000;
    expect(breakers.state("anthropic")).toBe("open");
    clock.t += 1_000;
    expect(breakers.state("anthropic")).toBe("half-open");

    // The API has recovered: the probe goes there, closes the breaker, and the tier is Claude's again.
    Object.assign(anthropic.state, { status: 200, retryAfter: undefined });
    expect((await proxy.post("/v1/messages", hard)).status).toBe(200);
    expect(breakers.state("anthropic")).toBe("closed");
    expect((await proxy.post("/v1/messages", hard)).status).toBe(200);
    expect(sentToClaude()).toBe(4);
  });

  it("a failed probe opens it again", async () => {
    const clock = { t: 0 };
    const breakers = createCircuitBreakers({ failureThreshold: 1, coolDownMs: 1_000, now: () => clock.t });
    const table = structuredClone(defaultTable);
    table.backends.anthropic!.baseUrl = anthropic.url;
    const proxy = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" }, ctx: { breakers } });
    const hard = { model: "claude-opus-4-8", max_tokens: 1024, messages: [{ role: "user", content: "Find the root cause of this deadlock" }] };
    anthropic.state.status = 500;
    expect((await proxy.post("/v1/messages", hard)).status).toBe(500);
    expect(breakers.state("anthropic")).toBe("open");
    clock.t += 1_000;
    expect((await proxy.post("/v1/messages", hard)).status).toBe(500);
    expect(breakers.state("anthropic")).toBe("open");
    anthropic.state.status = 200;
  });
});
