import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { createTestProxy, type TestProxy } from "./helpers/test-proxy.js";

const lookup = {
  name: "lookup_ticket",
  description: "Looks up a ticket by its id.",
  input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
};
const other = { name: "close_ticket", description: "Closes a ticket.", input_schema: { type: "object", properties: { id: { type: "integer" } } } };

const ask = (extra: Record<string, unknown>) => ({
  model: "claude-sonnet-4-5",
  max_tokens: 1024,
  messages: [{ role: "user", content: "What does ticket 42 say?" }],
  tools: [lookup, other],
  ...extra,
});

interface Message {
  content: Array<{ type: string; text?: string; name?: string; input?: unknown }>;
  stop_reason: string;
}

/** The message a stream builds, the way the SDK's MessageStream folds the events. */
function foldStream(text: string): Message {
  const message: Message = { content: [], stop_reason: "" };
  const json = new Map<number, string>();
  for (const event of parseSSE(text)) {
    if (event.comment !== undefined) continue;
    const data = JSON.parse(event.data);
    if (data.type === "content_block_start") message.content[data.index] = { ...data.content_block };
    if (data.type === "content_block_delta" && data.delta.type === "text_delta") message.content[data.index]!.text += data.delta.text;
    if (data.type === "content_block_delta" && data.delta.type === "input_json_delta") json.set(data.index, (json.get(data.index) ?? "") + data.delta.partial_json);
    if (data.type === "content_block_stop" && json.has(data.index)) message.content[data.index]!.input = JSON.parse(json.get(data.index)!);
    if (data.type === "message_delta") message.stop_reason = data.delta.stop_reason;
  }
  return message;
}

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

describe("a forced tool_choice on a server that does not enforce it (mlx-lm)", () => {
  let proxy: TestProxy;
  beforeAll(() => {
    proxy = createTestProxy({ backendUrl: mlx.url });
  });

  it.each([false, true])("asks again once, stating the problem, when the answer calls no tool (stream: %s)", async (stream) => {
    const seen = mlx.requests.length;
    mlx.script({ text: "Ticket 42 is about a login bug." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
    const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "tool", name: "lookup_ticket" } }));
    expect(response.status).toBe(200);
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "lookup_ticket", input: { id: 42 } }]);
    expect(message.stop_reason).toBe("tool_use");

    const generations = mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions");
    expect(generations).toHaveLength(2);
    // Both attempts are whole answers: a stream could not be taken back once sent.
    expect(generations.map((r) => (r.body as { stream?: boolean }).stream)).toEqual([false, false]);
    const retry = (generations[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(retry.at(-2)).toEqual({ role: "assistant", content: "Ticket 42 is about a login bug." });
    expect(retry.at(-1)!.content).toContain('your reply did not call "lookup_ticket"');
    expect(retry.at(-1)!.content).toContain('lookup_ticket: {"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}');
    expect(proxy.logs.at(-2)).toMatch(/ · forced tool call asked again: your reply did not call "lookup_ticket" · req_test\d+$/);
  });

  it("states the schema error of an invalid call, and a call to another tool never comes back as tool_use", async () => {
        mlx.script({ toolCalls: [{ name: "lookup_ticket", arguments: { id: "forty-two" } }] }, { toolCalls: [{ name: "close_ticket", arguments: { id: 42 } }] });
    const message = (await (await proxy.post("/v1/messages", ask({ tool_choice: { type: "tool", name: "lookup_ticket" } }))).json()) as Message;
    const retry = (mlx.requests.at(-1)!.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content;
    expect(retry).toContain("your tool call could not be run:");
    expect(retry).toContain('"id"');
    // The second answer is what the client gets, but it cannot run a tool the request did not allow.
    expect(message.content).toHaveLength(1);
    expect(message.content[0]).toMatchObject({ type: "text" });
    expect(message.content[0]!.text).toMatch(/^\[mallex: the model wrote a tool call that was not run: the request's tool_choice requires a call to "lookup_ticket"\]\nclose_ticket \{"id":42\}$/);
    expect(message.stop_reason).toBe("end_turn");
  });

  it("takes a right first answer as it is, with no second request", async () => {
    const seen = mlx.requests.length;
    mlx.script({ toolCalls: [{ name: "close_ticket", arguments: { id: 7 } }] });
    const message = (await (await proxy.post("/v1/messages", ask({ tool_choice: { type: "any" } }))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "close_ticket", input: { id: 7 } }]);
    expect(mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions")).toHaveLength(1);
  });
});

describe("tool_choice none", () => {
  let proxy: TestProxy;
  beforeAll(() => {
    proxy = createTestProxy({ backendUrl: mlx.url });
  });

  it.each([false, true])("lets no tool_use through, and says so (stream: %s)", async (stream) => {
    mlx.script({ text: "Let me look.", toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
    const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "none" } }));
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content.map((block) => block.type)).toEqual(["text", "text"]);
    expect(message.content[1]!.text).toBe('[mallex: the model wrote a tool call that was not run: the request\'s tool_choice is none]\nlookup_ticket {"id":42}');
    expect(message.stop_reason).toBe("end_turn");
    // And the model was not offered the tools.
    expect((mlx.requests.at(-1)!.body as { tools?: unknown }).tools).toBeUndefined();
  });
});
