/**
 * mallex driven by the official Anthropic SDK (@anthropic-ai/sdk, the spec along with its types):
 * the proxy listens on a real port in front of the fake mlx-lm.server, and the SDK's own classes
 * decide whether an answer conforms — its error classes, request ids, auto-pagination, and its tool
 * runner's message threads (declined by mallex, after which the runner sends whole conversations).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import Anthropic from "@anthropic-ai/sdk";
import { betaTool } from "@anthropic-ai/sdk/helpers/beta/json-schema";
import { toNodeHandler } from "h3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/server/create-app.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy, defaultTable, type TestProxy } from "./helpers/test-proxy.js";

const requestId = /^req_test\d{4}$/;
/** The shipped table's profile names (read in a test: the table is loaded by test-proxy's beforeAll). */
const profileNames = () => Object.keys(defaultTable.profiles);

let mlx: FakeMlxServer;
let proxy: TestProxy;
let server: Server;
let client: Anthropic;

beforeAll(async () => {
  mlx = await createFakeMlxServer();
  proxy = createTestProxy({ backendUrl: mlx.url });
  server = createServer(toNodeHandler(createApp(proxy.ctx)));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = new Anthropic({ baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiKey: "local", maxRetries: 0 });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await mlx.close();
});

const ask = (extra: Partial<Anthropic.MessageCreateParamsNonStreaming> = {}): Anthropic.MessageCreateParamsNonStreaming => ({
  model: "claude-opus-4-8",
  max_tokens: 1024,
  messages: [{ role: "user", content: "what is 2+2?" }],
  ...extra,
});

/** The error the SDK throws for `call`, checked to carry mallex's request id in the header and the body. */
async function rejection(call: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const error = await call.then(
    () => expect.unreachable("the SDK should have thrown"),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Anthropic.APIError);
  const apiError = error as InstanceType<typeof Anthropic.APIError>;
  expect(apiError.requestID).toMatch(requestId);
  expect((apiError.error as { request_id?: string }).request_id).toBe(apiError.requestID);
  return apiError;
}

async function badRequest(call: Promise<unknown>, message: string | RegExp) {
  const error = await rejection(call);
  expect(error).toBeInstanceOf(Anthropic.BadRequestError);
  expect(error.type).toBe("invalid_request_error");
  if (typeof message === "string") expect(error.apiMessage).toBe(message);
  else expect(error.apiMessage).toMatch(message);
  return error;
}

describe("400s the API answers, as the SDK's BadRequestError", () => {
  it("an empty conversation, for messages and count_tokens", async () => {
    await badRequest(client.messages.create(ask({ messages: [] })), "messages: at least one message is required");
    await badRequest(client.messages.countTokens({ model: "claude-opus-4-8", messages: [] }), "messages: at least one message is required");
  });

  it("max_tokens below 0 (0 itself is the API's cache pre-warm)", async () => {
    await badRequest(client.messages.create(ask({ max_tokens: -1 })), "max_tokens: Input should be greater than or equal to 0");
  });

  it("accepts max_tokens 0: the prompt reaches the model server (its prefix cache warms) and nothing is answered", async () => {
    const before = mlx.requests.length;
    const warm = await client.messages.create(ask({ max_tokens: 0 }));
    expect(warm).toMatchObject({ content: [], stop_reason: "max_tokens", usage: { output_tokens: 0 } });
    const streamed = await client.messages.stream(ask({ max_tokens: 0 })).finalMessage();
    expect(streamed).toMatchObject({ content: [], stop_reason: "max_tokens", usage: { output_tokens: 0 } });
    // mlx-lm.server answers 400 to max_tokens 0 (it takes 1 or more): the server is asked for one token, which the answer leaves out.
    expect(mlx.requests.slice(before).map((r) => (r.body as { max_tokens?: number }).max_tokens)).toEqual([1, 1]);
  });

  it("empty content: an empty string, an empty block list, an empty text block", async () => {
    const rule = "all messages must have non-empty content except for the optional final assistant message";
    await badRequest(client.messages.create(ask({ messages: [{ role: "user", content: "" }] })), `messages.0: ${rule}`);
    await badRequest(
      client.messages.create(
        ask({
          messages: [
            { role: "user", content: "hi" },
            { role: "assistant", content: [] },
            { role: "user", content: "well?" },
          ],
        }),
      ),
      `messages.1: ${rule}`,
    );
    await badRequest(
      client.messages.create(ask({ messages: [{ role: "user", content: [{ type: "text", text: "" }] }] })),
      "messages: text content blocks must be non-empty",
    );
  });

  it("a tool_result whose tool_use_id the previous assistant message did not use", async () => {
    const messages: Anthropic.MessageParam[] = [
      { role: "user", content: "read it" },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_a", name: "Read", input: { file_path: "/a" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_b", content: "…" }] },
    ];
    await badRequest(
      client.messages.create(ask({ messages, tools: [{ name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }] })),
      "messages.2.content.0: unexpected `tool_use_id` found in `tool_result` blocks: toolu_b. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.",
    );
  });

  it("tool_choice without tools", async () => {
    await badRequest(client.messages.create(ask({ tool_choice: { type: "any" } })), "tool_choice: tool_choice may only be specified while providing tools.");
  });

  it("thinking.budget_tokens not below max_tokens", async () => {
    await badRequest(
      client.messages.create(ask({ max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 2048 } })),
      /^`max_tokens` must be greater than `thinking\.budget_tokens`\./,
    );
  });

  it("accepts what the API accepts: a leading assistant message and Claude Code's mid-conversation system message", async () => {
    mlx.script({ text: "4" }, { text: "4" });
    const leading = await client.messages.create(
      ask({
        messages: [
          { role: "assistant", content: "How can I help?" },
          { role: "user", content: "what is 2+2?" },
        ],
      }),
    );
    expect(leading.content).toEqual([{ type: "text", text: "4" }]);
    const system = { role: "system", content: "Available agent types for the Agent tool: …" } as unknown as Anthropic.MessageParam;
    const withSystem = await client.messages.create(ask({ messages: [{ role: "user", content: "what is 2+2?" }, system] }));
    expect(withSystem.content).toEqual([{ type: "text", text: "4" }]);
  });
});

describe("request-id", () => {
  it("on a message, a stream, a 404 and a 401", async () => {
    mlx.script({ text: "Four." }, { text: ["Fo", "ur."] });
    const { data, request_id } = await client.messages.create(ask()).withResponse();
    expect(request_id).toMatch(requestId);
    expect((data as { _request_id?: string | null })._request_id).toBe(request_id);
    expect(proxy.logs.at(-1)).toMatch(new RegExp(` · ${request_id}$`));

    const stream = client.messages.stream(ask());
    expect((await stream.finalMessage()).content).toEqual([{ type: "text", text: "Four." }]);
    expect(stream.request_id).toMatch(requestId);
    expect(stream.request_id).not.toBe(request_id);

    const missing = await rejection(client.models.retrieve("gpt-5"));
    expect(missing).toBeInstanceOf(Anthropic.NotFoundError);
    expect(missing.apiMessage).toBe("model: gpt-5");

    const guarded = createTestProxy({ backendUrl: mlx.url, ctx: { authToken: "s3cret" } });
    const denied = await guarded.post("/v1/messages", ask());
    expect(denied.status).toBe(401);
    expect(denied.headers.get("request-id")).toBe("req_test0001");
    expect(await denied.json()).toMatchObject({ request_id: "req_test0001", error: { type: "authentication_error" } });
  });
});

describe("models", () => {
  it("lists every profile through the SDK's auto-pagination, forward and backward", async () => {
    const profiles = profileNames();
    const forward: string[] = [];
    for await (const model of client.models.list({ limit: 3 })) forward.push(model.id);
    expect(forward).toEqual(profiles);

    const first = await client.models.list({ limit: 3 });
    expect(first.data.map((m) => m.id)).toEqual(profiles.slice(0, 3));
    expect(first).toMatchObject({ has_more: true, first_id: profiles[0], last_id: profiles[2] });
    expect(first.data[0]).toMatchObject({ type: "model", created_at: proxy.ctx.loadedAt, lifecycle: "active", max_tokens: expect.any(Number) });
    expect(new Date(first.data[0]!.created_at).toISOString()).toBe(proxy.ctx.loadedAt);

    const last = profiles.at(-1)!;
    const backward = await client.models.list({ before_id: last, limit: 4 });
    expect(backward.data.map((m) => m.id)).toEqual(profiles.slice(-5, -1));
    expect(backward.has_more).toBe(true);
    const before: string[] = [];
    for await (const page of (await client.models.list({ before_id: last, limit: 4 })).iterPages()) before.unshift(...page.data.map((m) => m.id));
    expect(before).toEqual(profiles.slice(0, -1));

    const everything = await client.models.list({ limit: 1000 });
    expect(everything).toMatchObject({ has_more: false, first_id: profiles[0], last_id: last });
  });

  it("refuses a limit over 1000 and an unknown cursor", async () => {
    await badRequest(client.models.list({ limit: 1001 }), "limit: Input should be less than or equal to 1000");
    await badRequest(client.models.list({ after_id: "gpt-5" }), "after_id: no model has the id gpt-5");
  });

  it("retrieves a profile, and any name that routes, saying to which profile", async () => {
    expect(await client.models.retrieve("qwen3-coder-30b")).toMatchObject({
      id: "qwen3-coder-30b",
      display_name: "Qwen3-Coder 30B-A3B Instruct, 4-bit",
      max_input_tokens: 262144,
    });
    const opus = await client.models.retrieve("claude-opus-4-8");
    expect(opus).toMatchObject({
      id: "claude-opus-4-8",
      display_name: "Qwen3-Coder 30B-A3B Instruct, 4-bit, via mallex profile qwen3-coder-30b (default → medium)",
    });
    expect((await client.models.retrieve("claude-haiku-4-5")).display_name).toBe(
      "Qwen3-Coder 30B-A3B Instruct, 4-bit, via mallex profile qwen3-coder-30b (model claude-haiku-4-5 → low)",
    );
    expect((await client.models.retrieve("qwen3-coder-anything")).display_name).toMatch(
      /via mallex profile qwen3-coder-30b \(model qwen3-coder-anything is an alias of qwen3-coder-30b\)$/,
    );
  });
});

describe("routing by profile name", () => {
  it("a profile's name in model selects that profile, before aliases and tiers", async () => {
    mlx.script({ text: "7b here" }, { text: "8bit here" });
    await client.messages.create(ask({ model: "qwen2.5-coder-7b" }));
    expect(proxy.logs.at(-1)).toMatch(/^qwen2\.5-coder-7b → qwen2\.5-coder-7b \(model qwen2\.5-coder-7b is a profile\) · /);
    // qwen3-coder-30b-8bit also matches the alias glob qwen3-coder* (→ qwen3-coder-30b): the name wins.
    await client.messages.create(ask({ model: "qwen3-coder-30b-8bit" }));
    expect(proxy.logs.at(-1)).toMatch(/^qwen3-coder-30b-8bit → qwen3-coder-30b-8bit \(model qwen3-coder-30b-8bit is a profile\) · /);
  });

  it("a name under mallex/ (what mallex run gives Claude Code) is routed by tiers and intents, never pinned to the profile it names", async () => {
    mlx.script({ text: "hi there" });
    await client.messages.create(ask({ model: "mallex/qwen2.5-coder-7b" }));
    expect(proxy.logs.at(-1)).toMatch(/^mallex\/qwen2\.5-coder-7b → qwen3-coder-30b \((default → medium|intent \w+ → \w+)\) · /);
    expect((await client.models.retrieve("mallex/qwen2.5-coder-7b")).display_name).toMatch(/via mallex profile qwen3-coder-30b/);
  });

  it("says so when the named profile's backend cannot serve, instead of answering from another", async () => {
    const error = await rejection(client.messages.create(ask({ model: "claude-sonnet" })));
    expect(error.status).toBe(503);
    expect(error.apiMessage).toMatch(/^Profile claude-sonnet \(named by the request's model\) cannot serve this request: /);
  });
});

describe("the SDK's tool runner", () => {
  it("completes a multi-turn tool round trip with its defaults: the thread is declined, the runner sends whole conversations", async () => {
    const ran: unknown[] = [];
    const weather = betaTool({
      name: "get_weather",
      description: "The weather in a city",
      inputSchema: { type: "object", properties: { city: { type: "string" } }, required: ["city"], additionalProperties: false },
      run: ({ city }) => {
        ran.push(city);
        return `Sunny, 24°C in ${city}`;
      },
    });
    mlx.script({ toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] }, { text: "It is sunny in Paris." });
    const before = mlx.requests.length;
    const logged = proxy.logs.length;

    const final = await client.beta.messages.toolRunner({
      model: "claude-opus-4-8",
      max_tokens: 1024,
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools: [weather],
    });

    expect(ran).toEqual(["Paris"]);
    expect(final.content).toEqual([{ type: "text", text: "It is sunny in Paris." }]);
    expect(final.stop_reason).toBe("end_turn");
    // Two generations: the declined thread request never reached the model server.
    const generations = mlx.requests.slice(before).filter((r) => r.path.startsWith("/v1/chat/completions"));
    expect(generations).toHaveLength(2);
    const second = generations[1]!.body as { messages: Array<{ role: string; content?: unknown; tool_call_id?: string }> };
    expect(second.messages.find((m) => m.role === "tool")).toMatchObject({ content: "Sunny, 24°C in Paris" });
    expect(proxy.logs.slice(logged).map((line) => line.split(" · ").at(-2))).toEqual(["stop tool_use", "stop end_turn"]);
  });

  it("declines a thread outright as thread_unsupported_request, which a thread with default settings reports", async () => {
    const thread = client.beta.messages.thread({ model: "claude-opus-4-8", max_tokens: 1024 });
    const error = await rejection(thread.send({ role: "user", content: "hi" }));
    expect(error.status).toBe(400);
    expect(error.errorCode).toBe("thread_unsupported_request");
    expect(error.apiMessage).toBe("thread: mallex does not hold message threads; send the whole conversation without `thread`.");
  });
});

describe("a forced tool_choice on mlx-lm, which cannot enforce one", () => {
  const lookup: Anthropic.Tool = { name: "lookup_ticket", input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } };
  const forced = ask({ messages: [{ role: "user", content: "Look up ticket 7." }], tools: [lookup], tool_choice: { type: "tool", name: "lookup_ticket" } });
  const generationsSince = (seen: number) => mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions").length;
  /** What the SDK throws when the model never makes the call: its InternalServerError, an api_error naming the tool and the attempts. */
  async function neverCalled(call: Promise<unknown>) {
    const error = await rejection(call);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect(error.status).toBe(500);
    expect(error.type).toBe("api_error");
    expect(error.apiMessage).toMatch(
      /^tool_choice tool requires a call to the tool "lookup_ticket", and the model of profile \S+ made none in 3 attempts \(last: the reply did not call "lookup_ticket"\)\. Its mlx-lm server cannot enforce tool_choice/,
    );
  }

  it("never complying: messages.create throws the SDK's InternalServerError, which its default retries leave alone (x-should-retry: false)", async () => {
    // The SDK's own default of 2 retries: mallex has asked 3 times already, and says a retry cannot help.
    const retrying = new Anthropic({ baseURL: client.baseURL, apiKey: "local" });
    const seen = mlx.requests.length;
    // Nothing scripted: the fake echoes the prompt, which calls no tool.
    await neverCalled(retrying.messages.create(forced));
    expect(generationsSince(seen)).toBe(3);
  });

  it("never complying, streamed: messages.stream and create({stream: true}) throw the same error before any event", async () => {
    await neverCalled(client.messages.stream(forced).finalMessage());
    const events: string[] = [];
    await neverCalled(
      (async () => {
        for await (const event of await client.messages.create({ ...forced, stream: true })) events.push(event.type);
      })(),
    );
    expect(events).toEqual([]);
  });

  it.each([false, true])("complying on the retry: the SDK gets the call as its only block (stream: %s)", async (stream) => {
    mlx.script({ text: "Ticket 7? Probably billing." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 7 } }] });
    const message = stream ? await client.messages.stream(forced).finalMessage() : await client.messages.create(forced);
    expect(message.content).toEqual([{ type: "tool_use", id: expect.stringMatching(/^toolu_/), name: "lookup_ticket", input: { id: 7 } }]);
    expect(message.stop_reason).toBe("tool_use");
  });
});
