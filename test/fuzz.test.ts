/**
 * Property-based fuzz of the real `mallex proxy` process (in front of the fake mlx-lm.server): whatever
 * a client sends to /v1/messages or /v1/messages/count_tokens — a body of the Messages API's shape with
 * wrong types, missing and extra fields, odd unicode, huge strings, deep nesting, invalid roles and
 * blocks, hostile tool schemas; or raw bytes: truncated JSON, invalid UTF-8, deep `[[[`, huge numbers,
 * `__proto__` keys — the answer is a 200 that is a valid Anthropic answer, or a 4xx in Anthropic's error
 * envelope with a request id; never a 5xx, never a stack trace, never later than the bound; the process
 * is still up afterwards and its memory flat. Seeds are fixed, so a run is the same run every time.
 */
import { Agent } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonDepthExceeds } from "../src/http/check-json-depth.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { memoryAfterGc, startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { errorEnvelopeProblem, messageProblem, streamProblem, wireRequest, type WireReply } from "./helpers/wire-client.js";

/** Per-request bound: far above what any of these takes (a few ms), far below a hang. */
const REQUEST_BOUND_MS = 8000;
/** Fixed in CI; MALLEX_FUZZ_SEED=<n> explores another part of the space (a failure prints its seed and path). */
const SEED = Number(process.env.MALLEX_FUZZ_SEED ?? 20_260_101);
const STRUCTURED_RUNS = 1000;
const RAW_RUNS = 1000;
/** Growth allowed over a whole run, after a warm-up, of what the process holds after a full collection (heap and buffers). */
const MEMORY_BOUND_MB = 16;
const MEMORY_RUNS = Number(process.env.MALLEX_FUZZ_MEMORY_RUNS ?? 600);

const PATHS = ["/v1/messages", "/v1/messages/count_tokens"] as const;
type FuzzPath = (typeof PATHS)[number];

// --- (a) bodies of the Messages API's shape, with everything wrong that can be ---------------------

/** Strings a client could send: any code point (lone surrogates too), controls, RTL, emoji, NULs. */
const oddString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "\u202e\u2066evil\u2069",
    "\u2028\u2029",
    "\ud800",
    "\udfff\ud800",
    "👩‍👩‍👧‍👦".repeat(20),
    "\x1b[31mred\x1b[0m",
    "</tool_call>",
    "<tool_call>",
    "{{system}}",
    "${ANTHROPIC_API_KEY}",
  ),
);
/** A huge string, cheap to make (one repeated piece). */
const hugeString = fc
  .tuple(fc.constantFrom("a", "é", "🙂", "<tool_call>", "\\n", " word"), fc.constantFrom(10_000, 200_000, 1_000_000))
  .map(([piece, length]) => piece.repeat(Math.ceil(length / piece.length)));
const anything = fc.jsonValue({ maxDepth: 3 });
/** Nesting that stays under the 256-level limit or crosses it. */
const deepValue = fc.constantFrom(10, 100, 250, 255, 300, 2000).map((depth) => JSON.parse(`${"[".repeat(depth)}${"]".repeat(depth)}`) as unknown);
/** Objects whose own keys are Object.prototype's names. */
const hostileKeys = fc.dictionary(fc.constantFrom("__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf"), anything, {
  minKeys: 1,
  maxKeys: 3,
});

const text = fc.oneof({ weight: 4, arbitrary: oddString }, { weight: 1, arbitrary: hugeString });
const wrong = fc.oneof(anything, deepValue, hostileKeys);

/** Tool input schemas a client could declare, well-meant and hostile. */
const hostileSchema = fc.oneof(
  fc.constantFrom<unknown>(
    { type: "object", properties: { path: { type: "string" } }, required: ["path"] },
    JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"},"constructor":{"type":"number"}},"required":["__proto__"]}'),
    { $ref: "#" },
    { type: "object", properties: { a: { $ref: "#/definitions/loop" } }, definitions: { loop: { $ref: "#/definitions/loop" } } },
    { type: "object", properties: { a: { $ref: "#/$defs/missing" } } },
    { type: "object", properties: { a: { type: "string", pattern: "(a+)+$" } } },
    { type: "object", properties: { a: { type: "string", pattern: "[" } } },
    { type: "object", properties: { a: { type: "string", format: "no-such-format" } } },
    { type: "object", properties: { a: { type: "string", maxLength: -1 } }, required: [1, 2] },
    { type: 123 },
    { type: ["object", "array", "bogus"] },
    { properties: "not an object" },
    { enum: [] },
    { allOf: [{ not: {} }] },
    { type: "object", additionalProperties: false, minProperties: 1e308 },
    null,
    "a string",
    [],
  ),
  deepValue.map((inner) => ({ type: "object", properties: { a: { type: "array", items: inner } } })),
  fc.constantFrom(20, 120, 260).map((depth) => {
    let schema: Record<string, unknown> = { type: "string" };
    for (let i = 0; i < depth; i++) schema = { type: "object", properties: { n: schema } };
    return schema;
  }),
  anything,
);
const tool = fc.record(
  {
    name: fc.oneof(fc.constantFrom("Read", "Bash", "mcp__x__y", "a".repeat(300), ""), oddString),
    description: text,
    input_schema: hostileSchema,
    type: fc.constantFrom("custom", "bash_20250124", "bogus"),
    cache_control: fc.constant({ type: "ephemeral" }),
  },
  { requiredKeys: ["name"] },
);

const block = fc.oneof(
  fc.record({ type: fc.constant("text"), text }),
  fc.record({ type: fc.constant("text"), text: wrong }),
  fc.record({
    type: fc.constant("image"),
    source: fc.record(
      { type: fc.constantFrom("base64", "url", "file", "bogus"), media_type: fc.constantFrom("image/png", "text/html", ""), data: oddString, url: oddString },
      { requiredKeys: [] },
    ),
  }),
  fc.record({ type: fc.constant("tool_use"), id: oddString, name: oddString, input: wrong }, { requiredKeys: ["type"] }),
  fc.record(
    {
      type: fc.constant("tool_result"),
      tool_use_id: oddString,
      content: fc.oneof(text, fc.array(fc.record({ type: fc.constant("text"), text }), { maxLength: 2 }), wrong),
      is_error: fc.oneof(fc.boolean(), anything),
    },
    { requiredKeys: ["type"] },
  ),
  fc.record({ type: fc.constantFrom("thinking", "redacted_thinking"), thinking: oddString, signature: oddString, data: oddString }, { requiredKeys: ["type"] }),
  fc.record({ type: fc.constantFrom("document", "search_result", "server_tool_use", "container_upload") }),
  fc.record({ type: oddString }),
  hostileKeys,
  anything,
);
const role = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom("user", "assistant") },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom("system", "tool", "developer", "USER", ""), oddString, anything) },
);
const message = fc.record(
  {
    role,
    content: fc.oneof(
      { weight: 3, arbitrary: text },
      { weight: 3, arbitrary: fc.array(block, { maxLength: 3 }) },
      { weight: 1, arbitrary: fc.constant([]) },
      { weight: 1, arbitrary: wrong },
    ),
    name: oddString,
  },
  { requiredKeys: ["role", "content"] },
);
const user = (content: unknown) => ({ role: "user", content });

/** Each field right (most of the time) or wrong in some way; extra fields and missing ones included. */
const chaoticBody = fc
  .record(
    {
      model: fc.oneof(
        {
          weight: 6,
          arbitrary: fc.constantFrom(
            "claude-opus-4-8",
            "claude-sonnet-4-6",
            "claude-3-5-haiku-20241022",
            "qwen3-coder-30b",
            "qwen3-coder-anything",
            "gguf-qwen2.5-coder-7b",
          ),
        },
        { weight: 1, arbitrary: fc.oneof(oddString, anything) },
      ),
      max_tokens: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 1, max: 64 }) },
        { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1e308, 2 ** 53, "64", null)) },
      ),
      messages: fc.oneof(
        { weight: 6, arbitrary: fc.array(message, { minLength: 1, maxLength: 4 }).map((list) => [...list.slice(0, -1), user(list.at(-1)!.content)]) },
        { weight: 2, arbitrary: fc.array(message, { maxLength: 4 }) },
        { weight: 1, arbitrary: fc.oneof(fc.constant([]), wrong) },
      ),
      system: fc.oneof(text, fc.array(fc.oneof(fc.record({ type: fc.constant("text"), text }), block), { maxLength: 3 }), wrong),
      tools: fc.oneof({ weight: 4, arbitrary: fc.array(tool, { maxLength: 3 }) }, { weight: 1, arbitrary: wrong }),
      tool_choice: fc.oneof(
        fc.constantFrom(
          { type: "auto" },
          { type: "any" },
          { type: "none" },
          { type: "tool", name: "Read" },
          { type: "tool", name: "missing" },
          { type: "auto", disable_parallel_tool_use: "yes" },
        ),
        wrong,
      ),
      stream: fc.oneof({ weight: 4, arbitrary: fc.boolean() }, { weight: 1, arbitrary: anything }),
      stop_sequences: fc.oneof(fc.array(oddString, { maxLength: 3 }), wrong),
      thinking: fc.oneof(
        fc.record(
          { type: fc.constantFrom("enabled", "disabled", "adaptive", "bogus"), budget_tokens: fc.oneof(fc.integer(), anything) },
          { requiredKeys: ["type"] },
        ),
        wrong,
      ),
      temperature: fc.oneof(fc.double({ noNaN: true }), anything),
      top_p: fc.oneof(fc.double({ noNaN: true }), anything),
      top_k: fc.oneof(fc.integer(), anything),
      metadata: fc.oneof(fc.record({ user_id: oddString }), wrong),
      output_config: fc.oneof(fc.record({ format: fc.record({ type: fc.constantFrom("json_schema", "bogus"), schema: hostileSchema }) }), wrong),
      container: wrong,
      service_tier: fc.oneof(fc.constantFrom("auto", "standard_only"), oddString),
    },
    { requiredKeys: [] },
  )
  .chain((body) => fc.tuple(fc.constant(body), fc.dictionary(oddString, anything, { maxKeys: 2 }), hostileKeys, fc.boolean()))
  .map(([body, extra, hostile, withHostile]) => ({ ...extra, ...(withHostile ? hostile : {}), ...body }));

/**
 * What the (echoing) model answers is the last user message, so a user text that is tool-call markup
 * makes the model call a tool: calls to the hostile schemas' tool `t`, well-formed and broken.
 */
const callMarkup = fc.constantFrom(
  '<tool_call>\n{"name": "t", "arguments": {"a": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}}\n</tool_call>',
  '<tool_call>\n{"name": "t", "arguments": {"__proto__": {"polluted": "yes"}, "constructor": 1}}\n</tool_call>',
  '<tool_call>\n{"name": "t", "arguments": {"n": {"n": {"n": "deep"}}}}\n</tool_call>',
  '<tool_call>\n{"name": "t", "arguments": ' + "[".repeat(300) + "]".repeat(300) + "}\n</tool_call>",
  '<tool_call>\n{"name": "t", "arguments": {"a": 1e400}}',
  '[t(a="aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!")]',
  "<function=t><parameter=a>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!</parameter></function>",
);
const validText = fc.oneof(
  { weight: 8, arbitrary: oddString.filter((s) => s.trim() !== "") },
  { weight: 1, arbitrary: hugeString },
  { weight: 4, arbitrary: callMarkup },
);
const validSchema = hostileSchema.filter(
  (schema) => schema !== null && typeof schema === "object" && !Array.isArray(schema) && !jsonDepthExceeds(JSON.stringify(schema), 200),
);
const validTool = fc.record({ name: fc.constantFrom("t", "Read", "mcp__x__y"), description: validText, input_schema: validSchema });
const validMessages = fc.oneof(
  validText.map((content) => [user(content)]),
  fc.tuple(validText, validText, validText).map(([a, b, c]) => [user(a), { role: "assistant", content: b }, user([{ type: "text", text: c }])]),
  // A tool round trip, as Claude Code sends it.
  fc
    .tuple(validText, fc.jsonValue({ maxDepth: 2 }), validText)
    .map(([question, input, result]) => [
      user(question),
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_01", name: "t", input: { value: input } }] },
      user([{ type: "tool_result", tool_use_id: "toolu_01", content: result }]),
    ]),
);
/** A request the API accepts (its strings odd, its tool schemas hostile, its answer maybe a tool call). */
const validBody = fc
  .record(
    {
      // (No gguf- profile: the embedded flavor names its model, which the fake mlx-lm.server would "download".)
      model: fc.constantFrom("claude-opus-4-8", "claude-sonnet-4-6", "claude-3-5-haiku-20241022", "qwen3-coder-30b", "qwen3-coder-next"),
      max_tokens: fc.integer({ min: 1, max: 64 }),
      messages: validMessages,
      system: validText,
      tools: fc.array(validTool, { minLength: 1, maxLength: 3 }).map((tools) => [{ name: "t", input_schema: tools[0]!.input_schema }, ...tools.slice(1)]),
      tool_choice: fc.constantFrom({ type: "auto" }, { type: "any" }, { type: "none" }, { type: "tool", name: "t" }),
      stream: fc.boolean(),
      stop_sequences: fc.array(
        oddString.filter((s) => s.trim() !== ""),
        { maxLength: 2 },
      ),
      temperature: fc.double({ min: 0, max: 1, noNaN: true }),
      metadata: fc.record({ user_id: oddString }),
    },
    { requiredKeys: ["model", "max_tokens", "messages"] },
  )
  .map((body) => (body.tool_choice !== undefined && body.tools === undefined ? { ...body, tools: [{ name: "t", input_schema: { type: "object" } }] } : body));

/** One thing wrong with an otherwise valid body: a field of the wrong type, missing, added, or a bad message or block. */
const mutation = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        "model",
        "max_tokens",
        "messages",
        "system",
        "tools",
        "tool_choice",
        "stream",
        "stop_sequences",
        "thinking",
        "temperature",
        "top_k",
        "metadata",
      ),
      wrong,
    )
    .map(([field, value]) => (body: Record<string, unknown>) => ({ ...body, [field]: value })),
  fc.constantFrom("model", "max_tokens", "messages").map((field) => (body: Record<string, unknown>) => {
    const { [field]: _dropped, ...rest } = body;
    return rest;
  }),
  fc.tuple(oddString, anything).map(([key, value]) => (body: Record<string, unknown>) => ({ ...body, [key]: value })),
  hostileKeys.map((hostile) => (body: Record<string, unknown>) => ({ ...hostile, ...body })),
  message.map((extra) => (body: Record<string, unknown>) => ({ ...body, messages: [...(Array.isArray(body.messages) ? body.messages : []), extra] })),
  fc.tuple(message, fc.nat()).map(([replacement, at]) => (body: Record<string, unknown>) => {
    const messages = Array.isArray(body.messages) ? [...(body.messages as unknown[])] : [];
    messages[at % Math.max(messages.length, 1)] = replacement;
    return { ...body, messages };
  }),
  block.map((bad) => (body: Record<string, unknown>) => ({
    ...body,
    messages: [...(Array.isArray(body.messages) ? body.messages : []).slice(0, -1), user([bad])],
  })),
  tool.map((bad) => (body: Record<string, unknown>) => ({ ...body, tools: [...(Array.isArray(body.tools) ? body.tools : []), bad] })),
);
const mutatedBody = fc
  .tuple(validBody, fc.array(mutation, { maxLength: 2 }))
  .map(([body, changes]) => changes.reduce<Record<string, unknown>>((acc, change) => change(acc), body));

const structuredBody = fc.oneof({ weight: 3, arbitrary: mutatedBody }, { weight: 1, arbitrary: chaoticBody });

/** Found by this suite: a catastrophic pattern run on the model's argument stalled the process for hours. */
const REDOS = {
  model: "claude-opus-4-8",
  max_tokens: 64,
  messages: [{ role: "user", content: '<tool_call>\n{"name": "t", "arguments": {"a": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!"}}\n</tool_call>' }],
  tools: [{ name: "t", input_schema: { type: "object", properties: { a: { type: "string", pattern: "(a+)+$" } } } }],
};

// --- (b) raw bytes ---------------------------------------------------------------------------------

const VALID = JSON.stringify({ model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: "Say hi." }] });
const utf8 = (s: string) => Buffer.from(s, "utf8");
/** Bytes that are not UTF-8: stray continuation bytes, overlong forms, encoded surrogates, truncated sequences. */
const invalidUtf8 = fc
  .array(
    fc.constantFrom([0xff], [0xfe], [0x80], [0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xc3], [0xe2, 0x82], [0x00]),
    { minLength: 1, maxLength: 6 },
  )
  .map((parts) => Buffer.from(parts.flat()));

const rawBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  fc.nat({ max: VALID.length }).map((cut) => utf8(VALID.slice(0, cut))),
  fc.tuple(structuredBody, fc.nat()).map(([body, cut]) => {
    const json = JSON.stringify(body);
    return utf8(json.slice(0, cut % (json.length + 1)));
  }),
  fc.tuple(invalidUtf8, fc.constantFrom("content", "model", "role")).map(([bad, field]) => {
    const [before, after] = VALID.split(field === "content" ? "Say hi." : field === "model" ? "claude-opus-4-8" : "user") as [string, string];
    return Buffer.concat([utf8(before), bad, utf8(after)]);
  }),
  fc.tuple(invalidUtf8, fc.nat({ max: VALID.length })).map(([bad, at]) => Buffer.concat([utf8(VALID.slice(0, at)), bad, utf8(VALID.slice(at))])),
  fc.tuple(fc.constantFrom("[", '{"a":', '[{"x":'), fc.constantFrom(255, 256, 257, 5000, 200_000), fc.boolean()).map(([open, depth, closed]) => {
    const close = open === "[" ? "]" : open === '{"a":' ? "}" : "}]";
    const inner = open === "[" ? "" : "1";
    const nest = `${open.repeat(depth)}${inner}${closed ? close.repeat(depth) : ""}`;
    return utf8(closed ? `{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"metadata":${nest}}` : nest);
  }),
  fc
    .constantFrom("1e400", "-1e400", "9".repeat(5000), "1e-400", "-0", "0x10", "NaN", "Infinity", "1.7976931348623157e309", "123456789012345678901234567890")
    .map((n) => utf8(`{"model":"claude-opus-4-8","max_tokens":${n},"messages":[{"role":"user","content":"hi"}],"temperature":${n}}`)),
  fc
    .constantFrom(
      `{"__proto__":{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}}`,
      `{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"hi","__proto__":{"role":"assistant"}}],"__proto__":null}`,
      `{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"constructor":{"prototype":{"polluted":true}}}`,
      `{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":[{"type":"text","text":"hi","__proto__":{"type":"tool_use"}}]}]}`,
      `{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t","input_schema":{"type":"object","properties":{"__proto__":{"type":"object","properties":{"polluted":{"type":"string"}}}}}}]}`,
      `{"model":"a","model":"claude-opus-4-8","max_tokens":8,"max_tokens":"x","messages":[{"role":"user","content":"hi"}]}`,
      "",
      "null",
      "[]",
      '"a string"',
      "true",
      "0",
      "\ufeff" + VALID,
      VALID + "garbage",
      VALID + VALID,
      "{" + '"a":1,'.repeat(50_000) + '"b":2}',
      '{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"\\ud800\\udc00\\ud800 \\u0000 \\uZZZZ"}]}',
      '{"model":"claude-opus-4-8","max_tokens":8,"messages":[{"role":"user","content":"' + "\\\\".repeat(100_000) + '"}]}',
    )
    .map(utf8),
);
const contentType = fc.constantFrom(
  "application/json",
  "application/json",
  "application/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "application/json; charset=latin1",
  undefined,
);

// --- the property ----------------------------------------------------------------------------------

let mlx: FakeMlxServer;
let proxy: MallexProxyProcess;
/** One keep-alive connection pool, so a run opens few sockets (the process also caps them at 256). */
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  mlx = await createFakeMlxServer();
  // No key: the Claude tier falls back to the local one (nothing here may reach the real API).
  proxy = await startProxyProcess(["--backend-url", mlx.url], undefined, { ANTHROPIC_API_KEY: "" }, { memoryAfterGc: true });
}, 30_000);
afterAll(async () => {
  agent.destroy();
  await proxy?.stop();
  await mlx?.close();
});

/** Sends `body` and says what is wrong with the answer (undefined: nothing). */
async function answerProblem(path: FuzzPath, body: Uint8Array | string, type: string | undefined): Promise<string | undefined> {
  let reply: WireReply;
  try {
    reply = await wireRequest(proxy.url, { path, body, headers: type === undefined ? {} : { "content-type": type }, timeoutMs: REQUEST_BOUND_MS, agent });
  } catch (error) {
    return `no answer: ${(error as Error).message}`;
  }
  const key = `${path === "/v1/messages" ? "messages" : "count"} ${reply.status}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
  if (reply.status >= 400 && reply.status < 500) return errorEnvelopeProblem(reply);
  // The one 5xx a valid request may get: a forced tool_choice the (echoing) model never made (docs/proxy.md, "Forced tool calls").
  if (
    reply.status === 500 &&
    /^\{"type":"error","error":\{"type":"api_error","message":"tool_choice (any|tool) requires .* made none in \d+ attempts? /.test(reply.body)
  )
    return errorEnvelopeProblem(reply);
  if (reply.status !== 200) return `status ${reply.status}: ${reply.body.slice(0, 500)}`;
  if (typeof reply.headers["request-id"] !== "string") return "a 200 without a request-id header";
  if (path === "/v1/messages/count_tokens") {
    const counted = JSON.parse(reply.body) as { input_tokens?: unknown };
    return Number.isInteger(counted.input_tokens) && (counted.input_tokens as number) >= 0 ? undefined : `count_tokens answered ${reply.body.slice(0, 200)}`;
  }
  if (String(reply.headers["content-type"]).startsWith("text/event-stream")) return streamProblem(reply.body);
  try {
    return messageProblem(JSON.parse(reply.body));
  } catch {
    return `a 200 that is not JSON: ${reply.body.slice(0, 200)}`;
  }
}

const tally = new Map<string, number>();
afterAll(() =>
  console.log(
    [...tally]
      .sort()
      .map(([k, n]) => `${k}: ${n}`)
      .join(", "),
  ),
);

const describeInput = (body: Uint8Array | string) => {
  const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
  return text.length > 400 ? `${text.slice(0, 400)}… (${text.length} chars)` : text;
};

async function expectHealthy() {
  const health = await wireRequest(proxy.url, { method: "GET", path: "/health", timeoutMs: 2000 });
  expect(health.status).toBe(200);
  expect(proxy.process.exitCode).toBeNull();
  // Nothing a client sent was a bug of mallex's (the log would say "internal error").
  expect(proxy.output()).not.toMatch(/internal error|mallex failed|\n\s+at .+:\d+:\d+/);
}

describe("mallex proxy under fuzzed requests", () => {
  it(`answers ${STRUCTURED_RUNS} Messages-shaped bodies with everything wrong: a valid answer or a 4xx error, never a 5xx (but a forced call never made) or a hang`, async () => {
    const property = fc.asyncProperty(structuredBody, fc.constantFrom(...PATHS), async (body, path) => {
      const json = JSON.stringify(body);
      const problem = await answerProblem(path, json, "application/json");
      if (problem !== undefined) throw new Error(`${path}: ${problem}\ninput: ${describeInput(json)}`);
    });
    const examples: Array<[Record<string, unknown>, FuzzPath]> = [
      [REDOS, "/v1/messages"],
      [{ ...REDOS, stream: true }, "/v1/messages"],
    ];
    await fc.assert(property, { seed: SEED, numRuns: STRUCTURED_RUNS, endOnFailure: true, examples });
    await expectHealthy();
  }, 60_000);

  it(`answers ${RAW_RUNS} raw bodies (random bytes, truncated JSON, invalid UTF-8, deep nesting, huge numbers, __proto__) the same way`, async () => {
    const property = fc.asyncProperty(rawBody, fc.constantFrom(...PATHS), contentType, async (body, path, type) => {
      const problem = await answerProblem(path, body, type);
      if (problem !== undefined) throw new Error(`${path} (${type}): ${problem}\ninput: ${describeInput(body)}`);
    });
    await fc.assert(property, { seed: SEED + 1, numRuns: RAW_RUNS, endOnFailure: true });
    await expectHealthy();
  }, 60_000);

  it(`is still up afterwards, serves a normal request, and its memory is flat over another ${MEMORY_RUNS} of both`, async () => {
    const both = fc.oneof(
      structuredBody.map((body) => JSON.stringify(body)),
      rawBody,
    );
    // What the process retains, read after a full collection in it: its RSS instead moves with when V8 collects
    // and hands pages back (VmRSS 324 → 388 → 491 MB over two rounds on a loaded machine, nothing retained).
    const retainedMB = async () => {
      const { heapUsed, external } = await memoryAfterGc(proxy);
      return (heapUsed + external) / 2 ** 20;
    };
    const before = await retainedMB();
    await fc.assert(
      fc.asyncProperty(both, fc.constantFrom(...PATHS), async (body, path) => {
        const problem = await answerProblem(path, body, "application/json");
        if (problem !== undefined) throw new Error(`${path}: ${problem}\ninput: ${describeInput(body)}`);
      }),
      { seed: SEED + 2, numRuns: MEMORY_RUNS, endOnFailure: true },
    );
    const after = await retainedMB();
    console.log(
      `fuzz: mallex proxy holds ${before.toFixed(1)} MB after a full collection before, ${after.toFixed(1)} MB after ${MEMORY_RUNS} more fuzzed requests`,
    );
    expect(after - before).toBeLessThan(MEMORY_BOUND_MB);
    await expectHealthy();
    mlx.script({ text: "Still fine." });
    const reply = await wireRequest(proxy.url, { path: "/v1/messages", body: VALID, timeoutMs: REQUEST_BOUND_MS });
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toMatchObject({ type: "message", content: [{ type: "text", text: "Still fine." }] });
  }, 120_000);
});
