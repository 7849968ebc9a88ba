/**
 * The calls a local model wrote, counted by what mallex made of them — ran as written, repaired
 * (JSON fixed, tool name mapped, arguments converted to the schema's types), or rejected (shown as a
 * note) — in the request's log line, its dashboard summary and GET /metrics; `mallex eval` reads
 * them from there. The model is the fake mlx-lm.server, its calls raw text in the content, as a
 * real server leaves a format it does not parse.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseExposition, sumOf } from "./helpers/parse-exposition.js";
import { createTestProxy, type TestProxy } from "./helpers/test-proxy.js";
import { describeCallRepairs } from "../src/translate/tool-calls/describe-call-repairs.js";
import { countToolCall, describeToolCallFixes, type RequestMetrics } from "../src/observe/request-log.js";

const read = {
  name: "Read",
  description: "Reads a file.",
  input_schema: { type: "object", properties: { file_path: { type: "string" }, limit: { type: "integer" } }, required: ["file_path"] },
};

const ask = (stream: boolean) => ({
  model: "claude-sonnet-4-6",
  max_tokens: 512,
  stream,
  messages: [{ role: "user", content: "Show me /tmp/a.txt." }],
  tools: [read],
});

let mlx: FakeMlxServer;
let proxy: TestProxy;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
  proxy = createTestProxy({ backendUrl: mlx.url });
});
afterAll(() => mlx.close());

const metrics = async () => parseExposition(await (await proxy.fetch("/metrics")).text());
const calls = (samples: Awaited<ReturnType<typeof metrics>>, outcome: string) => sumOf(samples, "mallex_tool_calls_total", { outcome });

describe("tool calls repaired and rejected", () => {
  it.each([false, true])(
    "a call in Python-style JSON, under another agent's tool name, with text for an integer runs once repaired, and is counted so (stream: %s)",
    async (stream) => {
      const before = await metrics();
      mlx.script({ rawText: "<tool_call>\n{'name': 'read_file', 'arguments': {'file_path': '/tmp/a.txt', 'limit': '20'}}\n</tool_call>" });
      const response = await proxy.post("/v1/messages", ask(stream));
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toContain('"name":"Read"');
      expect(text).toContain(stream ? '{\\"file_path\\":\\"/tmp/a.txt\\",\\"limit\\":20}' : '"input":{"file_path":"/tmp/a.txt","limit":20}');
      expect(proxy.logs.at(-1)).toContain(
        " · tool calls 1: 1 repaired (JSON repaired; tool name read_file → Read; arguments converted to the schema's types) · stop tool_use",
      );
      const after = await metrics();
      expect(calls(after, "repaired") - calls(before, "repaired")).toBe(1);
      expect(calls(after, "ran") - calls(before, "ran")).toBe(0);
    },
  );

  it("a call to a tool the request does not offer is shown as a note, not run, and counted as rejected beside one that ran as written", async () => {
    const before = await metrics();
    mlx.script({
      rawText:
        '<tool_call>\n{"name": "Delete", "arguments": {"path": "/"}}\n</tool_call>\n<tool_call>\n{"name": "Read", "arguments": {"file_path": "/tmp/a.txt"}}\n</tool_call>',
    });
    const response = await proxy.post("/v1/messages", ask(false));
    const message = (await response.json()) as { content: Array<{ type: string; text?: string; name?: string }> };
    expect(message.content.map((block) => block.type)).toEqual(["text", "tool_use"]);
    expect(message.content[0]!.text).toContain('the model wrote a tool call that was not run: Tool "Delete" does not exist');
    expect(proxy.logs.at(-1)).toContain(" · tool calls 2: 1 not run · stop tool_use");
    const after = await metrics();
    expect(calls(after, "rejected") - calls(before, "rejected")).toBe(1);
    expect(calls(after, "ran") - calls(before, "ran")).toBe(1);
  });

  it("an answer whose calls all ran as written adds nothing to the log line", async () => {
    mlx.script({ rawText: '<tool_call>\n{"name": "Read", "arguments": {"file_path": "/tmp/a.txt", "limit": 20}}\n</tool_call>' });
    const response = await proxy.post("/v1/messages", ask(true));
    expect(response.status).toBe(200);
    // The request's line is written when its stream ends.
    expect(await response.text()).toContain('"name":"Read"');
    expect(proxy.logs.at(-1)).toMatch(/ · stop tool_use · req_test\d+$/);
    expect(proxy.logs.at(-1)).not.toContain("tool calls");
  });
});

describe("what counts as a repair", () => {
  const call = (name: string, args: Record<string, unknown>, untyped = false, repaired?: string) => ({
    name,
    arguments: args,
    untyped,
    raw: "",
    ...(repaired ? { repaired } : {}),
  });

  it("a functions. prefix and untyped (XML) values read as text are a format's way of writing, not repairs", () => {
    expect(describeCallRepairs(call("functions.Read", { file_path: "a" }), "Read", { file_path: "a" })).toEqual([]);
    expect(describeCallRepairs(call("Read", { limit: "20" }, true), "Read", { limit: 20 })).toEqual([]);
    expect(describeCallRepairs(call("Read", { file_path: "a", output_mode: "count" }), "Read", { file_path: "a" })).toEqual([
      "arguments the tool does not have left out: output_mode",
    ]);
    expect(describeCallRepairs(call("read", { limit: "20" }, false, "JSON cut off, closed"), "Read", { limit: 20 })).toEqual([
      "JSON cut off, closed",
      "tool name read → Read",
      "arguments converted to the schema's types",
    ]);
  });

  it("counts calls per answer, each kind of repair once, and a forced call's retries", () => {
    const m: RequestMetrics = { route: "r", charsIn: 1, charsOut: 1, started: 0 };
    countToolCall(m, { rejected: false, repairs: ["tool name read_file → Read"] });
    countToolCall(m, { rejected: false, repairs: ["tool name read_file → Read"] });
    countToolCall(m, { rejected: true, repairs: [] });
    countToolCall(m, { rejected: false, repairs: [] });
    expect(m.toolCalls).toEqual({ made: 4, repaired: 2, rejected: 1, repairs: ["tool name read_file → Read"] });
    expect(describeToolCallFixes({ ...m, forcedCallRetries: 1 })).toBe(
      "tool calls 4: 2 repaired (tool name read_file → Read), 1 not run · 1 forced-call retry",
    );
    expect(describeToolCallFixes({ toolCalls: { made: 2, repaired: 0, rejected: 0, repairs: [] } })).toBeUndefined();
  });
});
