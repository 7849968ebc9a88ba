import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import type { CompiledProfile, RoutingTable } from "../src/compile/routing-table.js";
import { createTestProxy, defaultTable, type TestProxy } from "./helpers/test-proxy.js";
import { numberedLines } from "./helpers/read-result.js";

const lookup = {
  name: "lookup_ticket",
  description: "Looks up a ticket by its id.",
  input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
};
const other = { name: "close_ticket", description: "Closes a ticket.", input_schema: { type: "object", properties: { id: { type: "integer" } } } };

const ask = (extra: Record<string, unknown>) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 1024,
  messages: [{ role: "user", content: "What does ticket 42 say?" }],
  tools: [lookup, other],
  ...extra,
});

interface Message {
  content: Array<{ type: string; text?: string; name?: string; input?: unknown }>;
  stop_reason: string;
  /** Kept where the message came whole (foldStream does not fold it). */
  usage?: { input_tokens: number; output_tokens: number };
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
    if (data.type === "content_block_delta" && data.delta.type === "input_json_delta")
      json.set(data.index, (json.get(data.index) ?? "") + data.delta.partial_json);
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

const generationsSince = (seen: number) => mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions");

/** The error body of a forced call the model never made, checked against the API's envelope. */
async function forcedCallError(response: Response) {
  expect(response.status).toBe(500);
  // Not worth an SDK retry: mallex has already asked the model again, as often as the profile allows.
  expect(response.headers.get("x-should-retry")).toBe("false");
  const body = (await response.json()) as { type: string; error: { type: string; message: string }; request_id: string };
  expect(body.type).toBe("error");
  expect(body.error.type).toBe("api_error");
  return body.error.message;
}

describe("a forced tool_choice on a server that does not enforce it (mlx-lm)", () => {
  let proxy: TestProxy;
  beforeAll(() => {
    proxy = createTestProxy({ backendUrl: mlx.url });
  });

  it.each([false, true])("asks again, stating the problem, when the answer calls no tool (stream: %s)", async (stream) => {
    const seen = mlx.requests.length;
    mlx.script({ text: "Ticket 42 is about a login bug." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
    const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "tool", name: "lookup_ticket" } }));
    expect(response.status).toBe(200);
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "lookup_ticket", input: { id: 42 } }]);
    expect(message.stop_reason).toBe("tool_use");

    const generations = generationsSince(seen);
    expect(generations).toHaveLength(2);
    // Both attempts are collected from streams (mallex can stop either where it loops) and checked whole: a stream sent to the client could not be taken back.
    expect(generations.map((r) => (r.body as { stream?: boolean }).stream)).toEqual([true, true]);
    const retry = (generations[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(retry.at(-2)).toEqual({ role: "assistant", content: "Ticket 42 is about a login bug." });
    expect(retry.at(-1)!.content).toContain('the reply did not call "lookup_ticket"');
    expect(retry.at(-1)!.content).toContain('lookup_ticket: {"type":"object","properties":{"id":{"type":"integer"}},"required":["id"]}');
    expect(proxy.logs.at(-2)).toMatch(/ · forced tool call asked again \(2 of 3\): the reply did not call "lookup_ticket" · req_test\d+$/);
    // The request's line counts the retry: mallex eval and /metrics read it from there.
    expect(proxy.logs.at(-1)).toContain(" · 1 forced-call retry · ");
  });

  it("states each wrong answer's problem to the next attempt; a call to another tool never comes back as tool_use", async () => {
    const seen = mlx.requests.length;
    mlx.script(
      { toolCalls: [{ name: "lookup_ticket", arguments: { id: "forty-two" } }] },
      { toolCalls: [{ name: "close_ticket", arguments: { id: 42 } }] },
      { text: "I would rather not." },
    );
    const message = await forcedCallError(await proxy.post("/v1/messages", ask({ tool_choice: { type: "tool", name: "lookup_ticket" } })));
    expect(message).toBe(
      'tool_choice tool requires a call to the tool "lookup_ticket", and the model of profile qwen3-coder-30b made none in 3 attempts (last: the reply did not call "lookup_ticket"). ' +
        "Its mlx-lm server cannot enforce tool_choice; a profile on llama-server, vLLM or the embedded engine can, or raise tools.forced_call_retries.",
    );
    const generations = generationsSince(seen);
    expect(generations).toHaveLength(3);
    const corrections = generations.slice(1).map((r) => (r.body as { messages: Array<{ role: string; content: string }> }).messages);
    // Each retry is the first request plus the last wrong answer only: the prompt does not grow with the attempts.
    expect(corrections.map((messages) => messages.length)).toEqual([3, 3]);
    expect(corrections[0]!.at(-1)!.content).toContain("the tool call could not be run:");
    expect(corrections[0]!.at(-1)!.content).toContain('"id"');
    expect(corrections[1]!.at(-1)!.content).toContain(`the tool call could not be run: the request's tool_choice requires a call to "lookup_ticket"`);
    expect(proxy.logs.at(-1)).toContain(message);
  });

  it.each([false, true])("a model that never calls gives the client an api_error, never an end_turn without the call (stream: %s)", async (stream) => {
    const seen = mlx.requests.length;
    // Nothing scripted: the fake echoes the prompt, which calls no tool, however often it is asked.
    const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "any" } }));
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await forcedCallError(response)).toMatch(
      /^tool_choice any requires a tool call, and the model of profile qwen3-coder-30b made none in 3 attempts \(last: the reply called no tool\)\. /,
    );
    expect(generationsSince(seen)).toHaveLength(3);
  });

  it("takes a right first answer as it is, with no second request", async () => {
    const seen = mlx.requests.length;
    mlx.script({ toolCalls: [{ name: "close_ticket", arguments: { id: 7 } }] });
    const message = (await (await proxy.post("/v1/messages", ask({ tool_choice: { type: "any" } }))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "close_ticket", input: { id: 7 } }]);
    expect(generationsSince(seen)).toHaveLength(1);
  });
});

describe("a forced tool_choice with the retries mallex.yaml allows (tools.forced_call_retries)", () => {
  const withRetries = (retries: number): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, forcedCallRetries: retries }])),
  });

  it.each([0, 4])("asks %i more times, then answers with the error", async (retries) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: withRetries(retries) });
    const seen = mlx.requests.length;
    const message = await forcedCallError(await proxy.post("/v1/messages", ask({ tool_choice: { type: "tool", name: "close_ticket" } })));
    expect(message).toContain(`made none in ${retries === 0 ? "1 attempt" : `${retries + 1} attempts`} (last: the reply did not call "close_ticket")`);
    expect(generationsSince(seen)).toHaveLength(retries + 1);
  });

  it("a call on the last allowed attempt is the answer", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: withRetries(1) });
    mlx.script({ text: "No." }, { toolCalls: [{ name: "close_ticket", arguments: { id: 3 } }] });
    const message = (await (await proxy.post("/v1/messages", ask({ tool_choice: { type: "tool", name: "close_ticket" } }))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "close_ticket", input: { id: 3 } }]);
    expect(message.stop_reason).toBe("tool_use");
  });
});

describe("a forced tool_choice on a server that enforces it (llama-server)", () => {
  const llamaTable = (): RoutingTable => ({
    ...defaultTable,
    backends: Object.fromEntries(
      Object.entries(defaultTable.backends).map(([name, backend]) => [name, backend.kind === "openai" ? { ...backend, flavor: "llama-server" } : backend]),
    ),
  });

  it.each([false, true])(
    "a named tool is the one tool offered under tool_choice required, checked by the server's grammar, not retried (stream: %s)",
    async (stream) => {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: llamaTable() });
      const seen = mlx.requests.length;
      mlx.script({ toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
      const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "tool", name: "lookup_ticket" } }));
      const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
      expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "lookup_ticket", input: { id: 42 } }]);
      const generations = generationsSince(seen);
      expect(generations).toHaveLength(1);
      const sent = generations[0]!.body as {
        tool_choice?: unknown;
        tools?: Array<{ function: { name: string } }>;
        messages: Array<{ content: unknown }>;
        stream?: boolean;
      };
      expect(sent.tool_choice).toBe("required");
      expect(sent.tools?.map((tool) => tool.function.name)).toEqual(["lookup_ticket"]);
      expect(JSON.stringify(sent.messages)).not.toContain("You must call");
      // Enforced by the server: the answer streams as it comes, nothing is held back to be checked.
      expect(sent.stream).toBe(stream);
    },
  );

  // The promise of a tool_use holds even where the server should have kept it (the embedded engine
  // answers in text when its grammar's output does not parse): the fake here ignores tool_choice.
  const missing =
    /^tool_choice tool requires a call to the tool "lookup_ticket", and the model of profile qwen3-coder-30b ended its answer \(end_turn\) without one, although its llama-server server was asked to enforce it\.$/;

  it("an answer that ends without the call anyway is an api_error, not an end_turn", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: llamaTable() });
    mlx.script({ text: "No tool today." });
    const response = await proxy.post("/v1/messages", ask({ tool_choice: { type: "tool", name: "lookup_ticket" } }));
    expect(response.status).toBe(500);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("api_error");
    expect(body.error.message).toMatch(missing);
  });

  it("streamed, the text goes out as it comes and the stream ends with an api_error event instead of end_turn", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: llamaTable() });
    mlx.script({ text: "No tool today." });
    const response = await proxy.post("/v1/messages", ask({ stream: true, tool_choice: { type: "tool", name: "lookup_ticket" } }));
    expect(response.status).toBe(200);
    const events = parseSSE(await response.text())
      .filter((event) => event.comment === undefined)
      .map((event) => JSON.parse(event.data) as { type: string; delta?: { text?: string }; error?: { type: string; message: string } });
    const types = events.map((event) => event.type);
    expect(types).not.toContain("message_delta");
    expect(types).not.toContain("message_stop");
    expect(events.flatMap((event) => (event.delta?.text === undefined ? [] : [event.delta.text])).join("")).toBe("No tool today.");
    const last = events.at(-1)!;
    expect(last.type).toBe("error");
    expect(last.error!.type).toBe("api_error");
    expect(last.error!.message).toMatch(missing);
  });

  it("an answer cut at max_tokens stays the API's own outcome, max_tokens", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: llamaTable() });
    mlx.script({ text: "Looking it up for you right now, one moment please." });
    const response = await proxy.post("/v1/messages", ask({ max_tokens: 3, tool_choice: { type: "any" } }));
    expect(response.status).toBe(200);
    expect(((await response.json()) as Message).stop_reason).toBe("max_tokens");
  });

  it.each([false, true])("so does an answer cut at the profile's max_output_tokens, below the client's (stream: %s)", async (stream) => {
    const table = llamaTable();
    table.profiles = Object.fromEntries(Object.entries(table.profiles).map(([name, profile]) => [name, { ...profile, maxOutputTokens: 3 }]));
    const proxy = createTestProxy({ backendUrl: mlx.url, table });
    mlx.script({ text: "Looking it up for you right now, one moment please." });
    const response = await proxy.post("/v1/messages", ask({ stream, tool_choice: { type: "any" } }));
    expect(response.status).toBe(200);
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    // Not an api_error for a missing call: the answer was cut, as the API's would be (before issue 49 it ended end_turn, and failed).
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content.at(-1)!.text).toMatch(/\[mallex: the answer was cut at 3 tokens, the local model's output limit \(max_output_tokens of profile /);
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
    expect(message.content[1]!.text).toBe(
      '[mallex: the model wrote a tool call that was not run: the request\'s tool_choice is none]\nlookup_ticket {"id":42}',
    );
    expect(message.stop_reason).toBe("end_turn");
    // And the model was not offered the tools.
    expect((mlx.requests.at(-1)!.body as { tools?: unknown }).tools).toBeUndefined();
  });
});

describe("tools.always_call: a call every turn, words through the Reply tool", () => {
  const alwaysCall = (flavor?: string): RoutingTable => ({
    ...defaultTable,
    backends: Object.fromEntries(
      Object.entries(defaultTable.backends).map(([name, backend]) => [name, backend.kind === "openai" && flavor ? { ...backend, flavor } : backend]),
    ),
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, alwaysCall: true }])),
  });
  type Sent = { tool_choice?: unknown; tools?: Array<{ function: { name: string } }>; messages: Array<{ role: string; content: string }>; stream?: boolean };

  it.each([false, true])("mlx-lm: asked in words, checked, asked again; a Reply call is the answer's text and ends the turn (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alwaysCall() });
    const seen = mlx.requests.length;
    mlx.script({ text: "I'll look up the ticket." }, { toolCalls: [{ name: "Reply", arguments: { text: "Ticket 42 is a login bug." } }] });
    const response = await proxy.post("/v1/messages", ask({ stream }));
    expect(response.status).toBe(200);
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content).toEqual([{ type: "text", text: "Ticket 42 is a login bug." }]);
    expect(message.stop_reason).toBe("end_turn");
    const generations = generationsSince(seen);
    expect(generations).toHaveLength(2);
    const first = generations[0]!.body as Sent;
    expect(first.tools?.map((tool) => tool.function.name)).toEqual(["lookup_ticket", "close_ticket", "Reply"]);
    expect(first.messages.at(-1)!.content).toContain("You must call at least one of the available tools");
    expect((generations[1]!.body as Sent).messages.at(-1)!.content).toContain("the reply called no tool");
  });

  it("mlx-lm: a model that never calls still gets its last answer through, never an error (mallex asked, not the client)", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alwaysCall() });
    mlx.script({ text: "One." }, { text: "Two." }, { text: "Ticket 42 is a login bug." });
    const message = (await (await proxy.post("/v1/messages", ask({}))).json()) as Message;
    expect(message.content).toEqual([{ type: "text", text: "Ticket 42 is a login bug." }]);
    expect(message.stop_reason).toBe("end_turn");
  });

  it.each([false, true])("llama-server: tool_choice required with Reply offered, streamed as it comes; other calls stay calls (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alwaysCall("llama-server") });
    const seen = mlx.requests.length;
    mlx.script({ toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
    const message = stream
      ? foldStream(await (await proxy.post("/v1/messages", ask({ stream }))).text())
      : ((await (await proxy.post("/v1/messages", ask({ stream }))).json()) as Message);
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "lookup_ticket", input: { id: 42 } }]);
    expect(message.stop_reason).toBe("tool_use");
    const sent = generationsSince(seen)[0]!.body as Sent;
    expect(sent.tool_choice).toBe("required");
    expect(sent.tools?.map((tool) => tool.function.name)).toEqual(["lookup_ticket", "close_ticket", "Reply"]);
    expect(sent.stream).toBe(stream);
  });

  it("leaves the client's own tool_choice and a request without tools as they are", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alwaysCall("llama-server") });
    const seen = mlx.requests.length;
    mlx.script({ text: "Hello." }, { text: "Hi." });
    await proxy.post("/v1/messages", ask({ tool_choice: { type: "none" } }));
    await proxy.post("/v1/messages", { ...ask({}), tools: undefined });
    for (const generation of generationsSince(seen)) {
      const sent = generation.body as Sent;
      expect(sent.tool_choice).toBeUndefined();
      expect(JSON.stringify(sent)).not.toContain('"Reply"');
    }
  });
});

describe("tools.retry_unknown_calls: an answer that calls a tool the request does not offer is asked again", () => {
  const retryUnknown = ({ flavor, on = true }: { flavor?: string; on?: boolean } = {}): RoutingTable => ({
    ...defaultTable,
    backends: Object.fromEntries(
      Object.entries(defaultTable.backends).map(([name, backend]) => [name, backend.kind === "openai" && flavor ? { ...backend, flavor } : backend]),
    ),
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, retryUnknownCalls: on }])),
  });
  type Sent = { tool_choice?: unknown; tools?: Array<{ function: { name: string } }>; messages: Array<{ role: string; content: string }>; stream?: boolean };
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" } } } });
  // Issue 48: asked to write to_roman, Qwen2.5-Coder-1.5B "called" it, 5 times of 5.
  const TO_ROMAN = '```json\n{\n  "name": "to_roman",\n  "arguments": {"number": 19}\n}\n```';
  const roman = (extra: Record<string, unknown> = {}) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    messages: [{ role: "user", content: "Implement `to_roman` in roman.py as its docstring says." }],
    tools: [tool("Read"), tool("Edit"), tool("Bash")],
    ...extra,
  });
  const answerOf = async (response: Response, stream: boolean) => (stream ? foldStream(await response.text()) : ((await response.json()) as Message));

  it.each([false, true])(
    "mlx-lm: asked again in a reminder, without tool_choice; the retry's call reaches the client as tool_use (stream: %s)",
    async (stream) => {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown() });
      const seen = mlx.requests.length;
      mlx.script({ text: TO_ROMAN }, { toolCalls: [{ name: "Read", arguments: { file_path: "roman.py" } }] });
      const response = await proxy.post("/v1/messages", roman({ stream }));
      expect(response.status).toBe(200);
      const message = await answerOf(response, stream);
      expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Read", input: { file_path: "roman.py" } }]);
      expect(message.stop_reason).toBe("tool_use");

      const generations = generationsSince(seen);
      expect(generations).toHaveLength(2);
      // The first answer and the retry are collected from streams (mallex can stop either), checked before the client sees them.
      expect(generations.map((r) => (r.body as Sent).stream)).toEqual([true, true]);
      const [first, retry] = generations.map((r) => r.body as Sent);
      expect(retry!.tool_choice).toBeUndefined();
      expect(retry!.tools?.map((t) => t.function.name)).toEqual(["Read", "Edit", "Bash"]);
      expect(retry!.messages.slice(0, -2)).toEqual(first!.messages);
      expect(retry!.messages.at(-2)).toEqual({ role: "assistant", content: TO_ROMAN });
      expect(retry!.messages.at(-1)!.content).toContain(
        "Your previous reply was not accepted: to_roman is not a tool you can call; the tools are: Read, Edit, Bash. Call one of these to go on with the task, or answer in words if it needs no tool.",
      );
      expect(proxy.logs.at(-2)).toMatch(
        / · unknown tool call asked again \(2 of 3\): to_roman is not a tool you can call; the tools are: Read, Edit, Bash · req_test\d+$/,
      );
      // The request's line counts the retry: mallex eval, the dashboard and /metrics read it from there.
      expect(proxy.logs.at(-1)).toContain(" · 1 unknown-tool retry · ");
    },
  );

  it.each([false, true])("llama-server: the retry is held to a call of the client's tools, and its call reaches the client (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown({ flavor: "llama-server" }) });
    const seen = mlx.requests.length;
    mlx.script({ text: TO_ROMAN }, { toolCalls: [{ name: "Read", arguments: { file_path: "roman.py" } }] });
    const message = await answerOf(await proxy.post("/v1/messages", roman({ stream })), stream);
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Read", input: { file_path: "roman.py" } }]);
    expect(message.stop_reason).toBe("tool_use");
    const [first, retry] = generationsSince(seen).map((r) => r.body as Sent);
    // The first request is the client's, no tool_choice; only the retry is held to a call, of the same tools
    // (the 1.5B coder, offered a Reply tool for words there, took it in 3 of 3 retries).
    expect(first!.tool_choice).toBeUndefined();
    expect(first!.tools?.map((t) => t.function.name)).toEqual(["Read", "Edit", "Bash"]);
    expect(retry!.tool_choice).toBe("required");
    expect(retry!.tools?.map((t) => t.function.name)).toEqual(["Read", "Edit", "Bash"]);
    expect(retry!.messages.at(-1)!.content).toContain("Call one of these to go on with the task.");
  });

  it("llama-server: the retry's real call reaches the client as tool_use", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown({ flavor: "llama-server" }) });
    mlx.script({ text: TO_ROMAN }, { toolCalls: [{ name: "Edit", arguments: { file_path: "roman.py" } }] });
    const message = (await (await proxy.post("/v1/messages", roman())).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Edit", input: { file_path: "roman.py" } }]);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("a model that keeps calling it gets its last answer through, never an error (mallex asked, not the client)", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown() });
    const seen = mlx.requests.length;
    const last = '{"name": "to_roman", "arguments": {"number": 4}}';
    mlx.script({ text: TO_ROMAN }, { text: TO_ROMAN }, { text: last });
    const response = await proxy.post("/v1/messages", roman());
    expect(response.status).toBe(200);
    const message = (await response.json()) as Message;
    expect(message.content).toEqual([{ type: "text", text: last }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(generationsSince(seen)).toHaveLength(3);
    expect(proxy.logs.at(-1)).toContain(" · 2 unknown-tool retries · ");
  });

  it.each([false, true])("an answer in words, or with code that is no call, is the answer: not asked again (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown() });
    const seen = mlx.requests.length;
    const words = "Here it is:\n```python\ndef to_roman(number):\n    return {19: 'XIX'}[number]\n```";
    mlx.script({ text: words });
    const message = await answerOf(await proxy.post("/v1/messages", roman({ stream })), stream);
    expect(message.content).toEqual([{ type: "text", text: words }]);
    expect(generationsSince(seen)).toHaveLength(1);
  });

  it.each([false, true])("off (the default): the text reaches the client as it did, streamed as it comes (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown({ flavor: "llama-server", on: false }) });
    const seen = mlx.requests.length;
    mlx.script({ text: TO_ROMAN });
    const message = await answerOf(await proxy.post("/v1/messages", roman({ stream })), stream);
    expect(message.content).toEqual([{ type: "text", text: TO_ROMAN }]);
    expect(message.stop_reason).toBe("end_turn");
    const generations = generationsSince(seen);
    expect(generations).toHaveLength(1);
    expect((generations[0]!.body as Sent).stream).toBe(stream);
  });

  it("leaves the client's own tool_choice and a JSON answer as they are", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: retryUnknown() });
    const seen = mlx.requests.length;
    mlx.script({ text: TO_ROMAN }, { text: TO_ROMAN });
    await proxy.post("/v1/messages", roman({ tool_choice: { type: "none" } }));
    await proxy.post("/v1/messages", roman({ output_config: { format: { type: "json_schema", schema: { type: "object" } } } }));
    expect(generationsSince(seen)).toHaveLength(2);
  });
});

describe("tools.whole_file_writes: the file just read, rewritten whole in a code block, becomes its Write", () => {
  const wholeFile = (on = true): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, wholeFileWrites: on }])),
  });
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } } } });
  const FILE = 'def to_roman(n):\n    """The Roman numeral for n."""\n    raise NotImplementedError\n';
  const REWRITTEN = 'def to_roman(n):\n    """The Roman numeral for n."""\n    return "I" * n';
  // The real 1.5B's answer once it had read the file: the whole file, implemented, in a fence, and no call.
  const ANSWER = `To implement \`to_roman\`, you can use:\n\n\`\`\`python\n${REWRITTEN}\n\`\`\`\n`;
  const afterRead = (extra: Record<string, unknown> = {}) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    messages: [
      { role: "user", content: "Implement `to_roman` in roman.py as its docstring says." },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/repo/roman.py" } }] },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_r",
            content: numberedLines(FILE),
          },
        ],
      },
    ],
    tools: [tool("Read"), tool("Write"), tool("Bash")],
    ...extra,
  });
  const TEST = 'from roman import to_roman\n\ndef test_one():\n    assert to_roman(1) == "I"\n';
  // The task's file and its test, read together.
  const afterReadWithTest = () => {
    const [task] = afterRead().messages;
    return afterRead({
      messages: [
        task,
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/repo/roman.py" } },
            { type: "tool_use", id: "toolu_t", name: "Read", input: { file_path: "/repo/test_roman.py" } },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_t", content: numberedLines(TEST) },
            { type: "tool_result", tool_use_id: "toolu_r", content: numberedLines(FILE) },
          ],
        },
      ],
    });
  };
  const answerOf = async (response: Response, stream: boolean) => (stream ? foldStream(await response.text()) : ((await response.json()) as Message));

  it.each([false, true])("a task that asks for a new file asks for it whole at once; the block is its Write (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const seen = mlx.requests.length;
    const SCRIPT = "import sys\ntext = sys.stdin.read()\nprint(text.count('\\n'), len(text.split()), len(text))";
    mlx.script({ text: `\`\`\`python\n${SCRIPT}\n\`\`\`` });
    const TASK = "Write `wordcount.py`: it reads text from standard input and prints the lines, words and characters.";
    const body = { ...afterRead({ stream }), system: " - Primary working directory: /repo", messages: [{ role: "user", content: TASK }] };
    const message = await answerOf(await proxy.post("/v1/messages", body), stream);
    expect(message.content).toEqual([
      { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Write", input: { file_path: "/repo/wordcount.py", content: `${SCRIPT}\n` } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    const sent = (generationsSince(seen)[0]!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    // The task and the ask, one message: nothing was read in between.
    expect(sent.at(-1)).toEqual({ role: "user", content: `${TASK}\n\nNow answer with the whole of the new file wordcount.py in one fenced code block.` });
    expect(proxy.logs.at(-1)).toContain(" · tool calls 1: 1 repaired (a whole file in a code block → Write) · ");
  });

  it("a new file's block that is a shell command writing it: what it writes is the Write; where only running it would tell, it is asked again", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const TASK = "Create a file named hello.txt containing exactly: Hello from mallex";
    const body = { ...afterRead(), system: " - Primary working directory: /repo", messages: [{ role: "user", content: TASK }] };
    // The real 1.5B's answer 2 times in 16: the command, which became the file's content before.
    mlx.script({ text: '```bash\necho "Hello from mallex" > hello.txt\n```' });
    const message = (await (await proxy.post("/v1/messages", body)).json()) as Message;
    expect(message.content).toEqual([
      { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Write", input: { file_path: "/repo/hello.txt", content: "Hello from mallex\n" } },
    ]);
    expect(proxy.logs.at(-1)).toContain(" · tool calls 1: 1 repaired (a shell command writing a file → Write of what it writes) · ");
    // A command whose output only running it would tell is no content: the same request, sampled warmer.
    const seen = mlx.requests.length;
    mlx.script({ text: '```bash\necho "Hello from $USER" > hello.txt\n```' }, { text: "```\nHello from mallex\n```" });
    const again = (await (await proxy.post("/v1/messages", body)).json()) as Message;
    expect(again.content.at(-1)).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/repo/hello.txt", content: "Hello from mallex\n" } });
    expect(generationsSince(seen).map((r) => (r.body as { temperature?: number }).temperature)[1]).toBe(0.8);
    expect(
      proxy.logs.some((line) =>
        line.includes("whole file asked again (2 of 3): /repo/hello.txt came back as no content: its echo writes what only running it would tell"),
      ),
    ).toBe(true);
  });

  it.each([false, true])("reaches the client as a Write of that file, the words before it, counted as a repair (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const seen = mlx.requests.length;
    mlx.script({ text: ANSWER });
    const message = await answerOf(await proxy.post("/v1/messages", afterRead({ stream })), stream);
    expect(message.content).toEqual([
      { type: "text", text: "To implement `to_roman`, you can use:" },
      { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Write", input: { file_path: "/repo/roman.py", content: `${REWRITTEN}\n` } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    // Collected from a stream, to be checked before the client sees it; one generation.
    expect(generationsSince(seen).map((r) => (r.body as { stream?: boolean }).stream)).toEqual([true]);
    expect(proxy.logs.at(-1)).toContain(" · tool calls 1: 1 repaired (a whole file in a code block → Write) · ");
    // After the Read, for a task that asks for a change, the model was asked for the file, named, whole.
    const sent = (generationsSince(seen)[0]!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    expect(sent.slice(-2)).toEqual([
      // The file as it is, without Claude Code's line numbers (the 1.5B wrote a numbered file back unchanged).
      expect.objectContaining({ role: "tool", content: FILE }),
      { role: "user", content: "Now answer with the whole new roman.py, the change made, in one fenced code block." },
    ]);
    expect(proxy.logs.at(-1)).toContain(
      ' · asked "Now answer with the whole new roman.py, the change made, in one fenced code block." (tools.whole_file_writes)',
    );
  });

  it.each([false, true])("a rewrite that falls into a loop is stopped there, not decoded to max_tokens (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const LINE = "    assert to_roman(1) == 'I'  # the same check again\n";
    mlx.script({ text: `\`\`\`python\n${REWRITTEN}\n\ndef test():\n${LINE.repeat(400)}` });
    const message = await answerOf(await proxy.post("/v1/messages", afterRead({ stream })), stream);
    const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    // Stopped after a few copies (the watcher looks every 64 characters), not the 400 the model wrote.
    const copies = text.split(LINE).length - 1;
    expect(copies).toBeGreaterThanOrEqual(4);
    expect(copies).toBeLessThan(40);
    // Cut short by mallex: max_tokens, never a turn the model ended.
    expect(message.stop_reason).toBe("max_tokens");
    expect(proxy.logs.at(-1)).toMatch(
      new RegExp(
        ` · answer stopped by mallex: its last \\d+ characters were one ${LINE.length}-character piece written \\d+ times \\(stop_repeats of profile [\\w.-]+ in mallex.yaml\\) · stop max_tokens · `,
      ),
    );
  });

  it("after the client refused the model's Edit, for words that ask for no change, asks for that file whole; the block is its Write", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const seen = mlx.requests.length;
    const base = afterRead();
    // The real 0.5B's release chore: an Edit whose old_string is the parameter's name, refused by Claude Code.
    const refused = {
      ...base,
      messages: [
        { role: "user", content: "Do the chore for roman.py." },
        ...base.messages.slice(1),
        {
          role: "assistant",
          content: [{ type: "tool_use", id: "toolu_e", name: "Edit", input: { file_path: "/repo/roman.py", old_string: "old_string", new_string: "x" } }],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_e", content: "<tool_use_error>String to replace not found in file.</tool_use_error>", is_error: true },
          ],
        },
      ],
      tools: [...base.tools, tool("Edit")],
    };
    mlx.script({ text: ANSWER });
    const message = (await (await proxy.post("/v1/messages", refused)).json()) as Message;
    expect(message.content.at(-1)).toEqual({
      type: "tool_use",
      id: expect.any(String),
      name: "Write",
      input: { file_path: "/repo/roman.py", content: `${REWRITTEN}\n` },
    });
    const sent = (generationsSince(seen)[0]!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    expect(sent.at(-1)).toEqual({
      role: "user",
      content: `Do the chore for roman.py.\n\nThat Edit of roman.py did not apply. roman.py is:\n\`\`\`py\n${FILE}\`\`\`\nNow answer with the whole new roman.py, the change made, in one fenced code block.`,
    });
  });

  it("asked for the file the task names, an answer that rewrites the test read beside it stays words, not a Write of the test", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const body = afterReadWithTest();
    mlx.script({ text: `\`\`\`python\n${TEST}\ndef test_two():\n    assert to_roman(2) == "II"\n\`\`\`` });
    const message = (await (await proxy.post("/v1/messages", body)).json()) as Message;
    expect(message.content).toEqual([{ type: "text", text: expect.stringContaining("def test_two():") }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(proxy.logs.at(-1)).toContain('asked "Now answer with the whole new roman.py, the change made, in one fenced code block."');
  });

  it.each([false, true])(
    "an answer that is the file asked for, unchanged, is asked again (the same request, sampled warmer), up to twice; its rewrite is the Write (stream: %s)",
    async (stream) => {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
      const seen = mlx.requests.length;
      mlx.script({ text: `\`\`\`python\n${FILE}\`\`\`` }, { text: ANSWER });
      const message = await answerOf(await proxy.post("/v1/messages", afterRead({ stream })), stream);
      expect(message.content.at(-1)).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/repo/roman.py", content: `${REWRITTEN}\n` } });
      const generations = generationsSince(seen);
      const bodies = generations.map((r) => r.body as { stream?: boolean; temperature?: number; messages: unknown[] });
      expect(bodies.map((body) => body.stream)).toEqual([true, true]);
      // Not told after its own answer (the 1.5B copied it again): the same messages, a warmer sample.
      expect(bodies[1]!.messages).toEqual(bodies[0]!.messages);
      expect(bodies[1]!.temperature).toBe(0.8);
      expect(proxy.logs.some((line) => line.includes("whole file asked again (2 of 3): /repo/roman.py came back unchanged"))).toBe(true);
      // Unchanged every time: it goes to the client as words, after two retries.
      const again = mlx.requests.length;
      const unchanged = { text: `\`\`\`python\n${FILE}\`\`\`` };
      mlx.script(unchanged, unchanged, unchanged);
      const kept = await answerOf(await proxy.post("/v1/messages", afterRead({ stream })), stream);
      expect(kept.content).toEqual([{ type: "text", text: expect.stringContaining("raise NotImplementedError") }]);
      expect(generationsSince(again)).toHaveLength(3);
    },
  );

  it("an answer that is another file read, as it was read, is asked again the same way; its rewrite of the file asked for is the Write", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: wholeFile() });
    const body = afterReadWithTest();
    const seen = mlx.requests.length;
    // The 0.5B on mlx_lm.server, asked for limits.js, wrote retry.js back as it was read.
    mlx.script({ text: `\`\`\`python\n${TEST}\`\`\`` }, { text: ANSWER });
    const message = (await (await proxy.post("/v1/messages", body)).json()) as Message;
    expect(message.content.at(-1)).toMatchObject({ type: "tool_use", name: "Write", input: { file_path: "/repo/roman.py", content: `${REWRITTEN}\n` } });
    const temperatures = generationsSince(seen).map((r) => (r.body as { temperature?: number }).temperature);
    expect(temperatures).toHaveLength(2);
    expect(temperatures[1]).toBe(0.8);
    expect(
      proxy.logs.some((line) => line.includes("whole file asked again (2 of 3): /repo/test_roman.py came back as it was read, not /repo/roman.py changed")),
    ).toBe(true);
  });

  it("streams as before where it does not apply: off, no file read yet, no Write offered, or a forced tool_choice", async () => {
    const cases: Array<[RoutingTable, Record<string, unknown>]> = [
      [wholeFile(false), afterRead({ stream: true })],
      [wholeFile(), { ...afterRead({ stream: true }), messages: afterRead().messages.slice(0, 1) }],
      [wholeFile(), afterRead({ stream: true, tools: [tool("Read"), tool("Bash")] })],
      [wholeFile(), afterRead({ stream: true, tool_choice: { type: "tool", name: "Bash" } })],
    ];
    for (const [table, body] of cases) {
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      const seen = mlx.requests.length;
      const forced = body.tool_choice !== undefined;
      mlx.script(forced ? { toolCalls: [{ name: "Bash", arguments: { command: "ls" } }] } : { text: ANSWER });
      const message = foldStream(await (await proxy.post("/v1/messages", body)).text());
      expect(message.content.some((block) => block.type === "tool_use" && block.name === "Write")).toBe(false);
      // Streamed from the server; a forced call mlx-lm does not enforce is collected and checked whole, as before.
      expect(generationsSince(seen).map((r) => (r.body as { stream?: boolean }).stream)).toEqual([true]);
    }
  });
});

describe("tools.read_named_files: the files a user's request names are read before the model is asked", () => {
  const readNamed = (on = true, runNamedCommands?: true): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, readNamedFiles: on, runNamedCommands }])),
  });
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" } } } });
  const prompt = (text: string, extra: Record<string, unknown> = {}) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    system: "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "<system-reminder>\nsee notes.md\n</system-reminder>" },
          { type: "text", text },
        ],
      },
      // Claude Code's own system message after the user's, as 2.1.197 sends the agents' list.
      { role: "system", content: "Available agent types for the Agent tool: see guide.md" },
    ],
    tools: [tool("Read"), tool("Write")],
    ...extra,
  });

  it.each([false, true])("answered by mallex with a Read of each named file, no model asked, and the log says so (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: readNamed() });
    const seen = mlx.requests.length;
    const response = await proxy.post(
      "/v1/messages",
      prompt("Fix the bug in stats.py so that `python3 -m unittest test_stats.py` passes; see ../docs/a.md.", { stream }),
    );
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content).toEqual(
      ["/repo/stats.py", "/repo/test_stats.py", "/docs/a.md"].map((path) => ({
        type: "tool_use",
        id: expect.stringMatching(/^toolu_/),
        name: "Read",
        input: { file_path: path },
      })),
    );
    expect(message.stop_reason).toBe("tool_use");
    // Nothing generated, nothing counted.
    if (!stream) expect(message.usage).toMatchObject({ input_tokens: 0, output_tokens: 0 });
    expect(generationsSince(seen)).toHaveLength(0);
    expect(proxy.logs.at(-1)).toContain(
      " · answered by mallex, not the model: Read /repo/stats.py, /repo/test_stats.py, /docs/a.md, named in the request (tools.read_named_files) · ",
    );
  });

  it.each([false, true])(
    "with tools.run_named_commands, the command it asks to run is run first, by Bash, and only the files outside it are read (stream: %s)",
    async (stream) => {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: readNamed(true, true) });
      const seen = mlx.requests.length;
      const body = prompt("`python3 -m unittest test_stats.py` fails. Fix the bug in stats.py.", {
        stream,
        tools: [tool("Bash"), tool("Read"), tool("Write")],
      });
      const response = await proxy.post("/v1/messages", body);
      const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
      expect(message.content).toEqual([
        { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Bash", input: { command: "python3 -m unittest test_stats.py" } },
        { type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Read", input: { file_path: "/repo/stats.py" } },
      ]);
      expect(message.stop_reason).toBe("tool_use");
      expect(generationsSince(seen)).toHaveLength(0);
      expect(proxy.logs.at(-1)).toContain(
        " · answered by mallex, not the model: Bash `python3 -m unittest test_stats.py`, Read /repo/stats.py, named in the request (tools.run_named_commands, tools.read_named_files) · stop tool_use · ",
      );
    },
  );

  it("asks the model where it does not apply: off, nothing named, every named file read already, a tool result, no Read offered", async () => {
    const readAlready = {
      ...prompt("Implement to_roman in roman.py."),
      messages: [
        { role: "user", content: "Implement to_roman in roman.py." },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: { file_path: "/repo/roman.py" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "     1\tdef to_roman(n): pass" }] },
        { role: "assistant", content: "Done." },
        { role: "user", content: "Now make roman.py raise ValueError." },
      ],
    };
    const cases: Array<[RoutingTable, Record<string, unknown>]> = [
      [readNamed(false), prompt("Implement to_roman in roman.py.")],
      [readNamed(), prompt("What is 2+2?")],
      [readNamed(), readAlready],
      [readNamed(), { ...readAlready, messages: readAlready.messages.slice(0, 3) }],
      [readNamed(), prompt("Implement to_roman in roman.py.", { tools: [tool("Write")] })],
    ];
    for (const [table, body] of cases) {
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      const seen = mlx.requests.length;
      mlx.script({ text: "ok" });
      const message = (await (await proxy.post("/v1/messages", body)).json()) as Message;
      expect(message.content).toEqual([{ type: "text", text: "ok" }]);
      expect(generationsSince(seen)).toHaveLength(1);
    }
  });
});

describe("tools.restate_questions: after the Reads that follow a question, the question again", () => {
  const restate = (on: boolean): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, restateQuestions: on }])),
  });
  const QUESTION = "Which function in this project deletes files from disk?";
  const body = {
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    messages: [
      { role: "user", content: QUESTION },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/repo/cache.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: numberedLines("def purge_stale(entries):\n    os.remove(x)\n") }] },
    ],
    tools: [{ name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
  };

  it("sends the question after the file, says so in the log, and streams the answer as it comes; off, nothing is added", async () => {
    for (const on of [true, false]) {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: restate(on) });
      const seen = mlx.requests.length;
      mlx.script({ text: "purge_stale" });
      const message = foldStream(await (await proxy.post("/v1/messages", { ...body, stream: true })).text());
      expect(message.content).toEqual([{ type: "text", text: "purge_stale" }]);
      const sent = generationsSince(seen)[0]!.body as { stream?: boolean; messages: Array<{ role: string; content: unknown }> };
      expect(sent.stream).toBe(true);
      const asked = `Now answer, from the files above: ${QUESTION}`;
      expect(sent.messages.at(-1)).toEqual(on ? { role: "user", content: asked } : expect.objectContaining({ role: "tool" }));
      expect(proxy.logs.at(-1)!.includes(`asked "${asked}" (tools.restate_questions)`)).toBe(on);
    }
  });
});

describe("tools.answer_from_files: a question after its Reads is sent alone, with the files read and no tools", () => {
  const alone = (on: boolean): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(
      Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, restateQuestions: true, answerFromFiles: on }]),
    ),
  });
  const QUESTION = "Which function in this project deletes files from disk? Answer with the function's name only.";
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" }, pattern: { type: "string" } } } });
  const body = {
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    stream: true,
    system: "You are Claude Code.",
    messages: [
      { role: "user", content: QUESTION },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_g", name: "Glob", input: { pattern: "**/*.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_g", content: "/repo/cache.py" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: "/repo/cache.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: numberedLines("def purge_stale(entries):\n    os.remove(x)\n") }] },
    ],
    tools: [tool("Glob"), tool("Read"), tool("Write")],
  };
  type Sent = { tools?: unknown; messages: Array<{ role: string; content: unknown }> };

  it("sends the files and the question as the only message, offers no tools, says so in the log, and streams the answer as text", async () => {
    const remembered: unknown[] = [];
    const stablePrefixes = { remember: (_: unknown, request: unknown) => remembered.push(request) > 0, warmRequest: () => undefined, flush: async () => {} };
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alone(true), ctx: { stablePrefixes } });
    const seen = mlx.requests.length;
    mlx.script({ text: "purge_stale" });
    const message = foldStream(await (await proxy.post("/v1/messages", body)).text());
    expect(message.content).toEqual([{ type: "text", text: "purge_stale" }]);
    expect(message.stop_reason).toBe("end_turn");
    const sent = generationsSince(seen)[0]!.body as Sent;
    expect(sent.tools).toBeUndefined();
    expect(sent.messages.filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: `/repo/cache.py:\n\`\`\`py\ndef purge_stale(entries):\n    os.remove(x)\n\`\`\`\n\n${QUESTION}` },
    ]);
    expect(proxy.logs.at(-1)).toContain(`asked "${QUESTION}" alone, after the files read (cache.py), with no tools (tools.answer_from_files)`);
    // Not the prefix the next session is warmed with: that one has the tools.
    expect(remembered).toEqual([]);
  });

  it("a request to run a command and report, after the command's run, goes alone with what it printed", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alone(true) });
    const seen = mlx.requests.length;
    const REPORT = "Run `node tools/fingerprint.js` and tell me the fingerprint it prints.";
    mlx.script({ text: "The fingerprint is 53f201745635." });
    const ran = {
      ...body,
      messages: [
        { role: "user", content: REPORT },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_b", name: "Bash", input: { command: "node tools/fingerprint.js" } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_b", content: "53f201745635" }] },
      ],
      tools: [...body.tools, tool("Bash")],
    };
    const message = foldStream(await (await proxy.post("/v1/messages", ran)).text());
    expect(message.content).toEqual([{ type: "text", text: "The fingerprint is 53f201745635." }]);
    const sent = generationsSince(seen)[0]!.body as Sent;
    expect(sent.tools).toBeUndefined();
    expect(sent.messages.filter((m) => m.role !== "system")).toEqual([
      { role: "user", content: `$ node tools/fingerprint.js\n\`\`\`\n53f201745635\n\`\`\`\n\n${REPORT}` },
    ]);
    expect(proxy.logs.at(-1)).toContain(`asked "${REPORT}" alone, after the commands run (node tools/fingerprint.js), with no tools (tools.answer_from_files)`);
  });

  it("an answer that looks like a call stays words: no tool was offered", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: alone(true) });
    const text = '{"name": "Glob", "arguments": {"pattern": "**/*.py"}}';
    mlx.script({ text });
    const message = foldStream(await (await proxy.post("/v1/messages", body)).text());
    expect(message.content).toEqual([{ type: "text", text }]);
    expect(message.stop_reason).toBe("end_turn");
  });

  it("off, or for a question that names a command to run, the question is restated after the conversation, tools offered", async () => {
    const cases: Array<[boolean, string]> = [
      [false, QUESTION],
      [true, "What does `python3 cache.py` print when you run it?"],
    ];
    for (const [on, question] of cases) {
      const remembered: unknown[] = [];
      const stablePrefixes = { remember: (_: unknown, request: unknown) => remembered.push(request) > 0, warmRequest: () => undefined, flush: async () => {} };
      const proxy = createTestProxy({ backendUrl: mlx.url, table: alone(on), ctx: { stablePrefixes } });
      const seen = mlx.requests.length;
      mlx.script({ text: "ok" });
      const asked = { ...body, messages: [{ role: "user", content: question }, ...body.messages.slice(1)] };
      foldStream(await (await proxy.post("/v1/messages", asked)).text());
      const sent = generationsSince(seen)[0]!.body as Sent;
      expect(sent.tools).toHaveLength(3);
      expect(sent.messages.at(-1)).toEqual({ role: "user", content: `Now answer, from the files above: ${question}` });
      expect(remembered).toHaveLength(1);
    }
  });
});

describe("tools.retry_echoed_results: a Write that would put a tool's message into the file is asked again", () => {
  const echoes = (on: boolean): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, retryEchoedResults: on }])),
  });
  const PATH = "/repo/wordcount.py";
  const CODE = "import sys\ntext = sys.stdin.read()\nprint(text.count('\\n'), len(text.split()), len(text))\n";
  const CREATED = `File created successfully at: ${PATH} (file state is current in your context — no need to Read it back)`;
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } } } });
  // The real 1.5B's turns: a correct Write, then Claude Code's answer to it written into the file.
  const body = (stream: boolean) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    stream,
    messages: [
      { role: "user", content: "Write `wordcount.py`: it prints the lines, words and characters of its input." },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_w", name: "Write", input: { file_path: PATH, content: CODE } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_w", content: CREATED }] },
    ],
    tools: [tool("Read"), tool("Write"), tool("Bash")],
  });
  const echo = { toolCalls: [{ name: "Write", arguments: { file_path: PATH, content: CREATED } }] };
  const answerOf = async (response: Response, stream: boolean) => (stream ? foldStream(await response.text()) : ((await response.json()) as Message));

  it.each([false, true])("asks again once, told so, and sends the answer that follows (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
    const seen = mlx.requests.length;
    mlx.script(echo, { text: "The task is done." });
    const message = await answerOf(await proxy.post("/v1/messages", body(stream)), stream);
    expect(message.content).toEqual([{ type: "text", text: "The task is done." }]);
    expect(message.stop_reason).toBe("end_turn");
    const generations = generationsSince(seen);
    // The first answer and the retry are collected from the backend's streams.
    expect(generations.map((r) => (r.body as { stream?: boolean }).stream)).toEqual([true, true]);
    const retry = (generations[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(retry.at(-1)!.content).toContain(
      "That Write would put a tool's own message into wordcount.py instead of its content: it was not run. wordcount.py is written already. If the task is done, say so in one sentence.",
    );
    expect(proxy.logs.some((line) => line.includes(`call asked again (2 of 2): its Write would write a tool's message into ${PATH}`))).toBe(true);
  });

  it.each([false, true])("a retry that falls into a loop is stopped there, as a first answer is, not decoded to max_tokens (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
    // The real 0.5B, asked again after an echo, wrote the same sentence (here) or call until max_output_tokens: 231 s on llama-server.
    const LINE = "The file wordcount.py is written: it prints the lines, words and characters of its input.\n";
    mlx.script(echo, { text: LINE.repeat(400) });
    const message = await answerOf(await proxy.post("/v1/messages", body(stream)), stream);
    const text = message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    const copies = text.split(LINE).length - 1;
    expect(copies).toBeGreaterThanOrEqual(4);
    expect(copies).toBeLessThan(20);
    expect(message.stop_reason).toBe("max_tokens");
    expect(proxy.logs.at(-1)).toMatch(
      / · answer stopped by mallex: its last \d+ characters were one \d+-character piece written \d+ times \(stop_repeats of profile /,
    );
  });

  it("a retry that writes the same call line again is stopped at the second copy: one Write, the loop said in the log", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
    // The real 0.5B on mlx: after the echo, the right Write as a JSON line, again and again until the task's time ran out.
    const line = `${JSON.stringify({ name: "Write", arguments: { file_path: PATH, content: CODE } })}\n`;
    mlx.script(echo, { text: line.repeat(50) });
    const message = (await (await proxy.post("/v1/messages", body(false))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "Write", input: { file_path: PATH, content: CODE } }]);
    expect(message.stop_reason).toBe("tool_use");
    expect(proxy.logs.at(-1)).toMatch(/ · answer stopped by mallex: it wrote its Write call again \(stop_repeats of profile /);
  });

  it("an answer that still does reaches the client with that call as a sentence, the turn ended, counted as rejected", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
    const seen = mlx.requests.length;
    mlx.script(echo, echo);
    const message = (await (await proxy.post("/v1/messages", body(false))).json()) as Message;
    expect(message.content).toEqual([
      { type: "text", text: `(mallex did not pass on the model's Write of ${PATH}: its text was a tool's message, not the file's content.)` },
    ]);
    expect(message.stop_reason).toBe("end_turn");
    expect(generationsSince(seen)).toHaveLength(2);
    expect(proxy.logs.some((line) => line.includes(`1 call not passed on: its Write would write a tool's message into ${PATH}`))).toBe(true);
    expect(proxy.logs.at(-1)).toContain(" · tool calls 2: 1 not run · stop end_turn · ");
  });

  it.each([
    ["Implement `to_roman` in roman.py.", 2],
    ["Undo your change to roman.py.", 1],
  ])(
    "a Write that puts a file back as it was before it was changed is asked again too, unless the user asks for a change undone (%s)",
    async (words, generations) => {
      const ROMAN = "/repo/roman.py";
      const STUB = "def to_roman(n):\n    raise NotImplementedError\n";
      const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
      const seen = mlx.requests.length;
      const putBack = { toolCalls: [{ name: "Write", arguments: { file_path: ROMAN, content: STUB } }] };
      mlx.script(putBack, ...(generations === 2 ? [{ text: "The task is done." }] : []));
      const request = {
        ...body(false),
        messages: [
          { role: "user", content: words },
          { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: ROMAN } }] },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: numberedLines(STUB) }] },
          {
            role: "assistant",
            content: [{ type: "tool_use", id: "toolu_w", name: "Write", input: { file_path: ROMAN, content: "def to_roman(n):\n    return 'I' * n\n" } }],
          },
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_w", content: `The file ${ROMAN} has been updated successfully.` }] },
        ],
      };
      const message = (await (await proxy.post("/v1/messages", request)).json()) as Message;
      expect(generationsSince(seen)).toHaveLength(generations);
      if (generations === 2) {
        expect(message.content).toEqual([{ type: "text", text: "The task is done." }]);
        expect(proxy.logs.some((line) => line.includes(`call asked again (2 of 2): its Write would put ${ROMAN} back as it was before it was changed`))).toBe(
          true,
        );
      } else {
        expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Write", input: { file_path: ROMAN, content: STUB } }]);
      }
    },
  );

  it.each([
    ["the retry's Edit", { toolCalls: [{ name: "Edit", arguments: { file_path: "/repo/package.json", old_string: "2.3.4", new_string: "2.3.5" } }] }, "2.3.5"],
    ["the same Edit again, passed on as it is", undefined, "2.3.4"],
  ])("an Edit whose new_string is its old_string is asked again, told so; the answer that follows goes on: %s", async (_case, retried, expected) => {
    const PKG = "/repo/package.json";
    const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(true) });
    const seen = mlx.requests.length;
    // The real 0.5B on mlx: this Edit 9 times in a row, each refused by Claude Code ("No changes to make").
    const same = { toolCalls: [{ name: "Edit", arguments: { file_path: PKG, old_string: "2.3.4", new_string: "2.3.4" } }] };
    mlx.script(same, retried ?? same);
    const request = {
      ...body(false),
      tools: [
        ...body(false).tools,
        {
          name: "Edit",
          input_schema: { type: "object", properties: { file_path: { type: "string" }, old_string: { type: "string" }, new_string: { type: "string" } } },
        },
      ],
      messages: [
        { role: "user", content: "Release 2.3.5." },
        { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: PKG } }] },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: numberedLines('{ "version": "2.3.4" }\n') }] },
      ],
    };
    const message = (await (await proxy.post("/v1/messages", request)).json()) as Message;
    const generations = generationsSince(seen);
    expect(generations).toHaveLength(2);
    const retry = (generations[1]!.body as { messages: Array<{ role: string; content: string }> }).messages;
    expect(retry.at(-1)!.content).toContain(
      "That Edit would change nothing in package.json (its new_string is its old_string): it was not run. Give new_string the changed text, or, if the task is done, say so in one sentence.",
    );
    expect(message.content).toEqual([
      { type: "tool_use", id: expect.any(String), name: "Edit", input: { file_path: PKG, old_string: "2.3.4", new_string: expected } },
    ]);
    expect(message.stop_reason).toBe("tool_use");
    expect(proxy.logs.some((line) => line.includes(`call asked again (2 of 2): its Edit would change nothing in ${PKG}`))).toBe(true);
    expect(proxy.logs.at(-1)).not.toContain("not run");
  });

  it("off, or for a Write of real content, the answer streams as it comes", async () => {
    const cases: Array<[boolean, typeof echo]> = [
      [false, echo],
      [true, { toolCalls: [{ name: "Write", arguments: { file_path: PATH, content: CODE } }] }],
    ];
    for (const [on, answer] of cases) {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: echoes(on) });
      const seen = mlx.requests.length;
      mlx.script(answer);
      const message = foldStream(await (await proxy.post("/v1/messages", body(true))).text());
      expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Write", input: answer.toolCalls[0]!.arguments }]);
      expect(generationsSince(seen)).toHaveLength(1);
      // Read whole only where the check is on.
      expect((generationsSince(seen)[0]!.body as { stream?: boolean }).stream).toBe(true);
    }
  });
});

describe("tools.retry_invalid_json: a change that would leave a JSON file unparsable is asked again", () => {
  const checked = (on: boolean, wholeFileWrites = false): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, retryInvalidJson: on, wholeFileWrites }])),
  });
  const CONFIG = "/repo/config.json";
  const BROKEN = '{\n  "name": "inventory",\n  "port": 8080,\n}\n';
  const FIXED = '{\n  "name": "inventory",\n  "port": 8080\n}\n';
  const tool = (name: string) => ({
    name,
    input_schema: {
      type: "object",
      properties: { file_path: { type: "string" }, content: { type: "string" }, old_string: { type: "string" }, new_string: { type: "string" } },
    },
  });
  // fix-crash-config's conversation: the crash, then config.json read.
  const body = (stream: boolean) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    stream,
    messages: [
      { role: "user", content: "`node app.js` crashes on start. Find out why and fix it." },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_r", name: "Read", input: { file_path: CONFIG } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_r", content: numberedLines(BROKEN) }] },
    ],
    tools: [tool("Read"), tool("Write"), tool("Edit"), tool("Bash")],
  });
  const edit = (from: string, to: string) => ({ toolCalls: [{ name: "Edit", arguments: { file_path: CONFIG, old_string: from, new_string: to } }] });
  const answerOf = async (response: Response, stream: boolean) => (stream ? foldStream(await response.text()) : ((await response.json()) as Message));
  const retryOf = (generation: { body: unknown }) => (generation.body as { messages: Array<{ role: string; content: string }> }).messages.at(-1)!.content;

  it.each([false, true])(
    "an Edit that leaves the file broken is asked again once, told the parser's words; the answer that follows goes on (stream: %s)",
    async (stream) => {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: checked(true) });
      const seen = mlx.requests.length;
      mlx.script(edit('"port": 8080', '"port": 8081'), edit('"port": 8080,', '"port": 8080'));
      const message = await answerOf(await proxy.post("/v1/messages", body(stream)), stream);
      expect(message.content).toEqual([
        { type: "tool_use", id: expect.any(String), name: "Edit", input: { file_path: CONFIG, old_string: '"port": 8080,', new_string: '"port": 8080' } },
      ]);
      expect(message.stop_reason).toBe("tool_use");
      const generations = generationsSince(seen);
      expect(generations).toHaveLength(2);
      expect(retryOf(generations[1]!)).toContain(
        "That Edit would leave config.json not valid JSON (line 4, column 1: expected double-quoted property name): it was not run. Make the change again so that config.json stays valid JSON.",
      );
      expect(proxy.logs.some((line) => line.includes(`call asked again (2 of 2): its Edit would leave ${CONFIG} not valid JSON (line 4, column 1:`))).toBe(
        true,
      );
    },
  );

  it("with whole_file_writes, a code block that is the file broken is asked for again, and the block that follows is the Write", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: checked(true, true) });
    const seen = mlx.requests.length;
    const broken = '{\n  "name": "inventory"\n  "port": 8080\n}\n';
    mlx.script({ text: `\`\`\`json\n${broken}\`\`\`` }, { text: `\`\`\`json\n${FIXED}\`\`\`` });
    const message = (await (await proxy.post("/v1/messages", body(false))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Write", input: { file_path: CONFIG, content: FIXED } }]);
    const generations = generationsSince(seen);
    expect(generations).toHaveLength(2);
    expect(retryOf(generations[1]!)).toContain(
      "config.json as you wrote it is not valid JSON (line 3, column 3: expected ',' or '}' after property value). Answer with the whole of config.json again, as valid JSON, in one code block.",
    );
  });

  it("an answer that still does goes on as it is, said in the log; a change that parses is not asked again", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: checked(true) });
    let seen = mlx.requests.length;
    const still = edit('"port": 8080', '"port": 8081');
    mlx.script(still, still);
    const message = (await (await proxy.post("/v1/messages", body(false))).json()) as Message;
    expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Edit", input: still.toolCalls[0]!.arguments }]);
    expect(generationsSince(seen)).toHaveLength(2);
    expect(proxy.logs.some((line) => line.includes(`passed on as it is: its Edit would leave ${CONFIG} not valid JSON`))).toBe(true);
    seen = mlx.requests.length;
    mlx.script(edit('"port": 8080,', '"port": 8080'));
    await (await proxy.post("/v1/messages", body(false))).json();
    expect(generationsSince(seen)).toHaveLength(1);
  });

  it("off, or where no JSON file is named, the answer streams as it comes", async () => {
    const noJson = { ...body(true), messages: [{ role: "user", content: "`node app.js` crashes on start. Find out why and fix it." }] };
    for (const [on, request] of [
      [false, body(true)],
      [true, noJson],
    ] as const) {
      const proxy = createTestProxy({ backendUrl: mlx.url, table: checked(on) });
      const seen = mlx.requests.length;
      mlx.script(edit('"port": 8080', '"port": 8081'));
      const message = foldStream(await (await proxy.post("/v1/messages", request)).text());
      expect(message.content).toEqual([{ type: "tool_use", id: expect.any(String), name: "Edit", input: expect.any(Object) }]);
      expect(generationsSince(seen)).toHaveLength(1);
      expect((generationsSince(seen)[0]!.body as { stream?: boolean }).stream).toBe(true);
    }
  });
});

describe("tools.end_after_edits: once the file a request names is changed, mallex ends the turn", () => {
  const ended = (on = true): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, endAfterEdits: on }])),
  });
  const tool = (name: string) => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" } } } });
  const afterWrite = (stream: boolean) => ({
    model: "claude-sonnet-4-6",
    max_tokens: 1024,
    stream,
    system: "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n",
    messages: [
      { role: "user", content: "Implement `to_roman` in roman.py as its docstring says." },
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: { file_path: "/repo/roman.py" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: "     1\tdef to_roman(n):\n     2\t    raise NotImplementedError" }] },
      {
        role: "assistant",
        content: [{ type: "tool_use", id: "t2", name: "Write", input: { file_path: "/repo/roman.py", content: "def to_roman(n):\n    return 'I'\n" } }],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t2", content: "The file /repo/roman.py has been updated successfully." }] },
    ],
    tools: [tool("Read"), tool("Write")],
  });

  it.each([false, true])("answers the turn after the edit with its end, no model asked, and the log says so (stream: %s)", async (stream) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: ended() });
    const seen = mlx.requests.length;
    const response = await proxy.post("/v1/messages", afterWrite(stream));
    const message = stream ? foldStream(await response.text()) : ((await response.json()) as Message);
    expect(message.content).toEqual([{ type: "text", text: "Changed roman.py." }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(generationsSince(seen)).toHaveLength(0);
    expect(proxy.logs.at(-1)).toContain(
      " · answered by mallex, not the model: the end: roman.py changed as the request asks (tools.end_after_edits) · stop end_turn · ",
    );
  });

  it("asks the model with the lever off", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: ended(false) });
    const seen = mlx.requests.length;
    mlx.script({ text: "roman.py now converts numbers." });
    const message = (await (await proxy.post("/v1/messages", afterWrite(false))).json()) as Message;
    expect(message.content).toEqual([{ type: "text", text: "roman.py now converts numbers." }]);
    expect(generationsSince(seen)).toHaveLength(1);
  });
});

describe("tools.worked_example: the system prompt shows one call in the model's own format", () => {
  const table = (format: string | undefined, on = true): RoutingTable => ({
    ...defaultTable,
    profiles: Object.fromEntries(Object.entries(defaultTable.profiles).map(([name, profile]) => [name, { ...profile, workedExample: on, toolFormat: format }])),
  });
  const tool = (name: string, parameter: string) => ({ name, input_schema: { type: "object", properties: { [parameter]: { type: "string" } } } });
  const request = {
    model: "claude-sonnet-4-6",
    max_tokens: 256,
    system: "You are Claude Code.\n# Environment\n - Primary working directory: /repo\n",
    messages: [{ role: "user", content: "What does main.py print?" }],
    tools: [tool("Bash", "command"), tool("Read", "file_path")],
  };
  const systemSent = async (routing: RoutingTable) => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: routing });
    const seen = mlx.requests.length;
    mlx.script({ text: "It prints 42." });
    expect((await proxy.post("/v1/messages", request)).status).toBe(200);
    const body = generationsSince(seen)[0]!.body as { messages: { role: string; content: string }[] };
    return body.messages.find((m) => m.role === "system")!.content;
  };

  it("writes a Read in Qwen2.5's <tool_call> JSON with its <tool_response> (hermes)", async () => {
    expect(await systemSent(table("hermes"))).toContain(
      'Asked what /tmp/example/hello.py prints, you answer with only this call:\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/tmp/example/hello.py"}}\n</tool_call>\nIts result comes back in the next message:\n<tool_response>\nprint("hello")\n</tool_response>\nThen you answer: It prints hello.',
    );
  });

  it("writes it in Qwen3-Coder's <function=…> markup (qwen3-coder); nothing with the lever off", async () => {
    expect(await systemSent(table("qwen3-coder"))).toContain(
      "<tool_call>\n<function=Read>\n<parameter=file_path>\n/tmp/example/hello.py\n</parameter>\n</function>\n</tool_call>",
    );
    expect(await systemSent(table("hermes", false))).not.toContain("/tmp/example/hello.py");
  });
});

describe("the shipped config", () => {
  it("turns the first look (read_named_files, run_named_commands, search_named_symbols, follow_failures, read_small_projects), check_after_edits, end_after_edits, restate_questions, answer_from_files, retry_echoed_results, retry_invalid_json and whole_file_writes on for the 1.5B coder's profile only: a model of that size edits only so (docs/eval.md)", () => {
    const levers = (profile: CompiledProfile) => [
      profile.readNamedFiles,
      profile.runNamedCommands,
      profile.searchNamedSymbols,
      profile.followFailures,
      profile.readSmallProjects,
      profile.checkAfterEdits,
      profile.endAfterEdits,
      profile.restateQuestions,
      profile.answerFromFiles,
      profile.retryEchoedResults,
      profile.retryInvalidJson,
      profile.wholeFileWrites,
    ];
    const on = Object.values(defaultTable.profiles).filter((profile) => levers(profile).includes(true));
    expect(on.map((profile) => [profile.name, ...levers(profile)])).toEqual([
      ["gguf-qwen2.5-coder-1.5b", true, true, true, true, true, true, true, true, true, true, true, true],
    ]);
  });
});
