import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startFakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { describeWithShared } from "./helpers/shared-dir.js";
import { closedBackendUrl, createTestProxy, defaultTable, fixture } from "./helpers/test-proxy.js";
import { profileTranslateOptions } from "../src/pipeline/profile-translate-options.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../src/translate/convert-anthropic-to-openai.js";
import { trimPlanFor } from "../src/trim/plan-trim.js";
import { trimRequest } from "../src/trim/trim-request.js";

/** The Anthropic events of an SSE body, checked against the rules the SDK relies on. */
async function anthropicEvents(response: Response) {
  const events = parseSSE(await response.text()).filter((e) => e.comment === undefined);
  const parsed = events.map((e) => ({ event: e.event, data: JSON.parse(e.data) as { type: string; index?: number; [k: string]: unknown } }));
  for (const { event, data } of parsed) expect(event).toBe(data.type);
  const starts = parsed.filter((e) => e.data.type === "content_block_start").map((e) => e.data.index);
  expect(starts).toEqual(starts.map((_, i) => i));
  return parsed.map((e) => e.data);
}

/** mallex's own request ids in these tests (createTestProxy numbers them per proxy). */
const anyRequestId = expect.stringMatching(/^req_test\d{4}$/);

const userMessage = (text: string, extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 32000,
  messages: [{ role: "user", content: text }],
  ...extra,
});

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

describe("routes", () => {
  const proxy = createTestProxy({ backendUrl: "http://127.0.0.1:1/v1" });

  it("answers Claude Code's warm-up HEAD / and GET /health", async () => {
    expect((await proxy.fetch("/", { method: "HEAD" })).status).toBe(200);
    const health = await proxy.fetch("/health");
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", profiles: Object.keys(defaultTable.profiles).length, config: defaultTable.hash.slice(0, 12) });
    expect(health.headers.get("request-id")).toMatch(/^req_test\d{4}$/);
  });

  it("lists the profiles as models, and one by id", async () => {
    const list = (await (await proxy.fetch("/v1/models?limit=1000")).json()) as { data: Array<{ id: string; type: string }>; has_more: boolean };
    expect(list.data.map((m) => m.id)).toEqual(Object.keys(defaultTable.profiles));
    expect(list.has_more).toBe(false);
    const one = await proxy.fetch("/v1/models/qwen3-coder-30b");
    expect(await one.json()).toMatchObject({ type: "model", id: "qwen3-coder-30b", max_input_tokens: 262144, max_tokens: 16384 });
    const missing = await proxy.fetch("/v1/models/gpt-5");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ type: "error", error: { type: "not_found_error", message: "model: gpt-5" }, request_id: anyRequestId });
  });

  it("answers unknown routes with an Anthropic 404", async () => {
    const response = await proxy.fetch("/v2/complete", { method: "POST" });
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "not_found_error", message: "mallex has no route POST /v2/complete" },
      request_id: anyRequestId,
    });
  });

  it("counts tokens with llama-server's own endpoint when the default tier runs on it", async () => {
    const counted: unknown[] = [];
    const llama = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        counted.push({ path: req.url, body: JSON.parse(body) });
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ input_tokens: 42 }));
      });
    });
    await new Promise<void>((resolve) => llama.listen(0, "127.0.0.1", resolve));
    const table = structuredClone(defaultTable);
    table.backends.mlx!.flavor = "llama-server";
    const viaLlama = createTestProxy({ backendUrl: `http://127.0.0.1:${(llama.address() as AddressInfo).port}/v1`, table });
    const request = { model: "claude-opus-4-8", messages: [{ role: "user", content: "hi" }] };
    expect(await (await viaLlama.post("/v1/messages/count_tokens", request)).json()).toEqual({ input_tokens: 42 });
    expect(counted).toEqual([{ path: "/v1/messages/count_tokens", body: { ...request, max_tokens: 0 } }]);
    llama.close();
  });

  it("estimates count_tokens when the backend has no tokenizer endpoint", async () => {
    const response = await proxy.post("/v1/messages/count_tokens?beta=true", {
      model: "claude-opus-4-8",
      messages: [{ role: "user", content: "x".repeat(350) }],
    });
    expect(await response.json()).toEqual({ input_tokens: Math.ceil((JSON.stringify([{ role: "user", content: "x".repeat(350) }]).length + 2 + 2) / 3.5) });
  });
});

describe("request errors, in Anthropic's shape", async () => {
  const downUrl = await closedBackendUrl();
  const proxy = createTestProxy({ backendUrl: downUrl });
  const expectError = async (response: Response, status: number, type: string, message: string) => {
    expect(response.status).toBe(status);
    expect(response.headers.get("x-should-retry")).toBe("false");
    expect(await response.json()).toEqual({ type: "error", error: { type, message }, request_id: anyRequestId });
  };

  it("400 for a body that is not JSON", async () => {
    const response = await proxy.post("/v1/messages", "{not json");
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: expect.stringMatching(/^The request body is not valid JSON: /) },
      request_id: anyRequestId,
    });
  });

  it("400 naming the field for a body that breaks the Messages schema", async () => {
    await expectError(await proxy.post("/v1/messages", { model: "m", messages: [] }), 400, "invalid_request_error", "max_tokens: Field required");
    await expectError(
      await proxy.post("/v1/messages", userMessage("hi", { messages: [{ role: "robot", content: "hi" }] })),
      400,
      "invalid_request_error",
      "messages.0.role: Input should be 'user', 'assistant', 'system'",
    );
    await expectError(
      await proxy.post("/v1/messages", userMessage("hi", { messages: [{ role: "user", content: [{ type: "tool_use", id: "t" }] }] })),
      400,
      "invalid_request_error",
      "messages.0.content.0.name: Field required",
    );
  });

  it("401 without the local token, when one is configured", async () => {
    const guarded = createTestProxy({ backendUrl: mlx?.url, ctx: { authToken: "s3cret" } });
    await expectError(
      await guarded.post("/v1/messages", userMessage("hi")),
      401,
      "authentication_error",
      "Invalid local token: send the token from mallex's config as x-api-key or Authorization: Bearer.",
    );
    expect((await guarded.post("/v1/messages", userMessage("hi"), { "x-api-key": "s3cret" })).status).toBe(200);
    expect((await guarded.post("/v1/messages", userMessage("hi"), { authorization: "Bearer s3cret" })).status).toBe(200);
    expect((await guarded.fetch("/health")).status).toBe(200);
  });

  it("503 with a sentence that says which backend and what to do when the backend is down", async () => {
    const response = await proxy.post("/v1/messages", userMessage("hello", { stream: true }));
    expect(response.status).toBe(503);
    expect(response.headers.get("x-should-retry")).toBe("false");
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("api_error");
    expect(body.error.message).toBe(
      `mallex could not reach the model server: mlx at ${downUrl} is not reachable (ECONNREFUSED). Start it (\`mallex run\` starts and watches it for you) or point --backend-url at a server that is running.`,
    );
    expect(body.error.message).toMatch(
      /^mallex could not reach the model server: .* Start it \(`mallex run` starts and watches it for you\) or point --backend-url at a server that is running\.$/,
    );
  });

  it("503 when the only backend is supervised and nothing is running", async () => {
    const unsupervised = createTestProxy();
    const response = await unsupervised.post("/v1/messages", userMessage("hello"));
    expect(response.status).toBe(503);
    expect(response.headers.get("x-should-retry")).toBe("false"); // no wait brings it
    expect(((await response.json()) as { error: { message: string } }).error.message).toBe(
      "No backend can serve this request: low (qwen3-coder-30b): backend mlx is started by mallex; use `mallex run`, or pass --backend-url to use a server that is already running.",
    );
  });
});

describe("translation against the fake mlx-lm.server", () => {
  it("streams text as Anthropic SSE and never sends a model name or omits max_tokens", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["The", " answer", " is", " 4", "."] });
    const response = await proxy.post("/v1/messages?beta=true", userMessage("what is 2+2", { stream: true }));
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const events = await anthropicEvents(response);
    expect(events.map((e) => e.type)).toEqual([
      "message_start",
      "ping",
      "content_block_start",
      ...Array(5).fill("content_block_delta"),
      "content_block_stop",
      "message_delta",
      "message_stop",
    ]);
    expect(
      events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { text: string }).text)
        .join(""),
    ).toBe("The answer is 4.");
    expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn" }, usage: { output_tokens: 6 } });
    const sent = mlx.requests.at(-1)!.body as Record<string, unknown>;
    expect(sent.model).toBeUndefined();
    expect(sent.max_tokens).toBe(16384); // capped by the qwen3-coder-30b profile
    expect(sent.stream_options).toEqual({ include_usage: true });
    expect(mlx.modelLoadAttempts).toEqual([]);
    expect(proxy.logs).toHaveLength(1);
    expect(proxy.logs[0]).toMatch(
      /^claude-opus-4-8 → qwen3-coder-30b \(default → medium\) · \d+ → \d+ chars \([−+]\d+%\) · rules: no rule fired · prompt \d+ tok \(\d+ cached\) · ttft \d+\.\d\d s · .*out 6 tok.* · stop end_turn · req_test\d{4}$/,
    );
  });

  it("answers a non-streaming request with a Message", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: "Four." });
    const response = await proxy.post("/v1/messages", userMessage("what is 2+2"));
    expect(await response.json()).toMatchObject({
      type: "message",
      role: "assistant",
      model: "claude-opus-4-8",
      content: [{ type: "text", text: "Four." }],
      stop_reason: "end_turn",
    });
  });

  it("says in the answer and in the log when the profile's output cap, not the client's max_tokens, ended the answer, which ends max_tokens", async () => {
    const table = structuredClone(defaultTable);
    table.profiles["qwen3-coder-30b"]!.maxOutputTokens = 4;
    const proxy = createTestProxy({ backendUrl: mlx.url, table });
    // Longer than the cap: the fake cuts it at max_tokens, as mlx-lm does (finish "length", completion_tokens = max_tokens).
    mlx.script({ text: "Once upon a time there was a fox who lived in a wood" });
    const message = (await (await proxy.post("/v1/messages", userMessage("tell me a story"))).json()) as {
      content: Array<{ text: string }>;
      stop_reason: string;
    };
    expect(message.stop_reason).toBe("max_tokens");
    expect(message.content[0]!.text).toMatch(
      /^Once.*\n\n\[mallex: the answer was cut at 4 tokens, the local model's output limit \(max_output_tokens of profile qwen3-coder-30b in mallex.yaml\)\]$/s,
    );
    expect(proxy.logs.at(-1)).toMatch(/ · cut at 4 tokens by max_output_tokens of profile qwen3-coder-30b in mallex\.yaml · stop max_tokens · req_test\d{4}$/);
  });

  describe("an answer mallex's cap or the server cut never ends end_turn, on any path (issue 49)", () => {
    type Message = { content: Array<{ type: string; text?: string }>; stop_reason: string };
    /** The answer as each kind of client gets it: streamed; whole, read whole from the server; whole, collected from a stream (stop_sequences). */
    async function threeWays(proxy: ReturnType<typeof createTestProxy>, script: Parameters<FakeMlxServer["script"]>[0], prompt: string) {
      mlx.script(script);
      const events = await anthropicEvents(await proxy.post("/v1/messages", userMessage(prompt, { stream: true })));
      const delta = events.find((e) => e.type === "message_delta") as { delta: { stop_reason: string } } | undefined;
      const text = events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { text?: string }).text ?? "")
        .join("");
      mlx.script(script);
      const whole = (await (await proxy.post("/v1/messages", userMessage(prompt))).json()) as Message;
      mlx.script(script);
      const collected = (await (await proxy.post("/v1/messages", userMessage(prompt, { stop_sequences: ["NEVER-SAID"] }))).json()) as Message;
      // The third went to the server streamed, as mallex asks when it must match stop sequences itself.
      expect((mlx.requests.at(-1)!.body as { stream?: boolean }).stream).toBe(true);
      const join = (message: Message) => message.content.map((block) => block.text ?? "").join("");
      return {
        streamed: { stop: delta?.delta.stop_reason, text },
        whole: { stop: whole.stop_reason, text: join(whole) },
        collected: { stop: collected.stop_reason, text: join(collected) },
      };
    }
    // Long, and no loop: every sentence differs (an answer that repeats itself is stopped as a loop, not cut at max_tokens).
    const story = Array.from({ length: 200 }, (_, i) => `Once upon a time there was fox number ${i} who lived in a wood. `).join("");

    it("text cut by the profile's max_output_tokens: max_tokens, with the note", async () => {
      const table = structuredClone(defaultTable);
      table.profiles["qwen3-coder-30b"]!.maxOutputTokens = 4;
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      for (const [path, answer] of Object.entries(await threeWays(proxy, { text: story }, "tell me a story"))) {
        expect(answer.stop, path).toBe("max_tokens");
        expect(answer.text, path).toMatch(
          /\n\n\[mallex: the answer was cut at 4 tokens, the local model's output limit \(max_output_tokens of profile qwen3-coder-30b/,
        );
      }
      expect(proxy.logs.filter((line) => line.includes(" · cut at 4 tokens by max_output_tokens of profile qwen3-coder-30b"))).toHaveLength(3);
      expect(proxy.logs.every((line) => / · stop max_tokens · req_test\d{4}$/.test(line))).toBe(true);
    });

    it("text cut by the small context's cap (a 1,024-token context, 'write a very long story'): max_tokens, the note naming the context", async () => {
      const table = structuredClone(defaultTable);
      table.profiles["qwen3-coder-30b"]!.contextWindow = 1024;
      table.profiles["qwen3-coder-30b"]!.inputBudget = 768;
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      for (const [path, answer] of Object.entries(await threeWays(proxy, { text: story }, "write a very long story"))) {
        expect(answer.stop, path).toBe("max_tokens");
        expect(answer.text, path).toMatch(
          /\n\n\[mallex: the answer was cut at \d+ tokens, the local model's output limit \(what leaves room for the next request in profile qwen3-coder-30b's 1024-token context; a larger context raises it\)\]$/,
        );
      }
      // The server was asked for less than the client's 32,000, and ran to it.
      const sent = mlx.requests.at(-1)!.body as { max_tokens: number };
      expect(sent.max_tokens).toBeLessThan(512);
      expect(
        proxy.logs.every((line) => / · cut at \d+ tokens to leave room for the next request in the 1024-token context · stop max_tokens · /.test(line)),
      ).toBe(true);
    });

    it("a Write call cut by the server's length finish under the profile's cap: max_tokens (mlx drops the unfinished call)", async () => {
      const table = structuredClone(defaultTable);
      table.profiles["qwen3-coder-30b"]!.maxOutputTokens = 12;
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      const write = { text: "Writing it.", toolCalls: [{ name: "Write", arguments: { file_path: "/tmp/story.txt", content: story } }] };
      for (const [path, answer] of Object.entries(await threeWays(proxy, write, "write a story to /tmp/story.txt"))) {
        expect(answer.stop, path).toBe("max_tokens");
        expect(answer.text, path).toMatch(/^Writing it\.\n\n\[mallex: the answer was cut at 12 tokens/);
      }
    });

    it("the context filled (length well short of max_tokens): model_context_window_exceeded, no cap note", async () => {
      const table = structuredClone(defaultTable);
      table.profiles["qwen3-coder-30b"]!.contextWindow = 4096;
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      for (const [path, answer] of Object.entries(await threeWays(proxy, { text: "Once upon", finishReason: "length" }, "tell me a story"))) {
        expect(answer.stop, path).toBe("model_context_window_exceeded");
        expect(answer.text, path).toBe("Once upon");
      }
    });
  });

  it("an answer the server stopped because its context filled ends model_context_window_exceeded, and the log says so (not max_output_tokens)", async () => {
    const table = structuredClone(defaultTable);
    table.profiles["qwen3-coder-30b"]!.contextWindow = 4096;
    const proxy = createTestProxy({ backendUrl: mlx.url, table });
    // llama-server and the engine stop at the end of the context: finish "length" well short of max_tokens.
    mlx.script({ text: "Once upon", finishReason: "length" });
    const message = (await (await proxy.post("/v1/messages", userMessage("tell me a story"))).json()) as {
      content: Array<{ text: string }>;
      stop_reason: string;
    };
    expect(message.stop_reason).toBe("model_context_window_exceeded");
    expect(message.content).toEqual([{ type: "text", text: "Once upon" }]);
    expect(proxy.logs.at(-1)).toMatch(
      / · answer stopped: the model server's context is full \(\d+ \+ \d+ tokens of 4096\) · stop model_context_window_exceeded · req_test\d{4}$/,
    );
  });

  describeWithShared("on Claude Code's captured requests", () => {
    it("a context too small for its profile's size gets a smaller size's trimming before a refusal, and the log says so", async () => {
      const table = structuredClone(defaultTable);
      // Claude Code's 2+2 request trims to ~2.6 K tokens as a medium model, ~1.1 K as a small one.
      table.profiles["qwen3-coder-30b"]!.inputBudget = 1800;
      const proxy = createTestProxy({ backendUrl: mlx.url, table });
      mlx.script({ text: "4" });
      const response = await proxy.post("/v1/messages?beta=true", { ...fixture("main-request-2plus2.json"), stream: false });
      expect(response.status).toBe(200);
      expect(proxy.logs.at(-1)).toMatch(/→ qwen3-coder-30b .* · trimmed as a small model to fit the 1800-token budget · /);
      table.profiles["qwen3-coder-30b"]!.inputBudget = 300;
      const refused = await createTestProxy({ backendUrl: mlx.url, table }).post("/v1/messages?beta=true", {
        ...fixture("main-request-2plus2.json"),
        stream: false,
      });
      expect(refused.status).toBe(400);
    });

    it("a 4 K context's session is trimmed as a small model, which leaves it room to talk before Claude Code compacts; 8 K keeps the medium size", async () => {
      const sizes: string[] = [];
      for (const contextWindow of [4096, 8192]) {
        const table = structuredClone(defaultTable);
        table.profiles["qwen3-coder-30b"]!.contextWindow = contextWindow;
        const proxy = createTestProxy({ backendUrl: mlx.url, table });
        mlx.script({ text: "4" });
        const response = await proxy.post("/v1/messages?beta=true", { ...fixture("main-request-2plus2.json"), stream: false });
        expect(response.status).toBe(200);
        const tools = (mlx.requests.at(-1)!.body as { tools?: unknown[] }).tools ?? [];
        sizes.push(`${contextWindow}: ${tools.length} tools`);
        if (contextWindow === 4096)
          expect(proxy.logs.at(-1)).toMatch(
            / · trimmed as a small model to leave the conversation room before Claude Code compacts in the 4096-token context · /,
          );
        else expect(proxy.logs.at(-1)).not.toMatch(/trimmed as a/);
      }
      // The shipped small size offers fewer tools than the medium one.
      expect(sizes).toEqual([expect.stringMatching(/^4096: [1-9] tools$/), expect.stringMatching(/^8192: \d{2} tools$/)]);
    });

    it("turns a native tool call into a tool_use block", async () => {
      const proxy = createTestProxy({ backendUrl: mlx.url });
      mlx.script({ toolCalls: [{ name: "Write", arguments: { file_path: "/tmp/a.txt", content: "hi" } }] });
      const request = fixture("tool-use-first-request.json");
      const events = await anthropicEvents(await proxy.post("/v1/messages?beta=true", request));
      const start = events.find((e) => e.type === "content_block_start");
      expect(start).toMatchObject({ content_block: { type: "tool_use", name: "Write", id: expect.stringMatching(/^toolu_/) } });
      const json = events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { partial_json: string }).partial_json)
        .join("");
      expect(JSON.parse(json)).toEqual({ file_path: "/tmp/a.txt", content: "hi" });
      expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "tool_use" } });
    });

    it("turns a Qwen3-Coder XML call that leaked into content into a tool_use block", async () => {
      const proxy = createTestProxy({ backendUrl: mlx.url });
      mlx.script({
        rawText:
          "<tool_call>\n<function=Write>\n<parameter=file_path>\n/tmp/b.txt\n</parameter>\n<parameter=content>\nhello\n</parameter>\n</function>\n</tool_call>",
      });
      const events = await anthropicEvents(await proxy.post("/v1/messages?beta=true", fixture("tool-use-first-request.json")));
      expect(events.filter((e) => e.type === "content_block_start").map((e) => (e.content_block as { type: string }).type)).toEqual(["tool_use"]);
      const json = events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { partial_json: string }).partial_json)
        .join("");
      expect(JSON.parse(json)).toEqual({ file_path: "/tmp/b.txt", content: "hello" });
    });

    it("trims a repeated request's system prompt and tools from the prefix cache: the same upstream bytes as trimming anew", async () => {
      const proxy = createTestProxy({ backendUrl: mlx.url });
      const request = fixture("main-request-2plus2.json") as unknown as MessagesRequest;
      const sent: string[] = [];
      for (let i = 0; i < 2; i++) {
        mlx.script({ text: "4" });
        await (await proxy.post("/v1/messages?beta=true", request)).text();
        sent.push(JSON.stringify(mlx.requests.at(-1)!.body));
      }
      expect(proxy.ctx.prefixCache.stats()).toEqual({ hits: 1, misses: 1 });
      const { table, templates, backends } = proxy.ctx;
      const profile = table.profiles[table.tiers[table.routing.defaultTier]!.profile]!;
      const anew = convertAnthropicToOpenAI(
        trimRequest(request, trimPlanFor(table, profile), templates).request,
        profileTranslateOptions(profile, backends[profile.backend]!.flavor),
      );
      expect(sent[0]).toBe(JSON.stringify({ ...anew, stream: true }));
      expect(sent[1]).toBe(sent[0]);
    });

    it("answers Claude Code's title request (output_config.format) from mlx-lm with the JSON alone, streamed or not", async () => {
      const proxy = createTestProxy({ backendUrl: mlx.url });
      const request = fixture("title-request.json");
      const fenced = ["Here", " is the title:\n```json\n", '{"title": ', '"What is', ' 2+2"}', "\n```"];
      mlx.script({ text: fenced });
      const events = await anthropicEvents(await proxy.post("/v1/messages?beta=true", request));
      const deltas = events.filter((e) => e.type === "content_block_delta").map((e) => (e.delta as { text: string }).text);
      expect(deltas).toEqual(['{"title": "What is 2+2"}']);
      expect(events.at(-2)).toMatchObject({ delta: { stop_reason: "end_turn" } });

      // mlx cannot constrain output: the schema is asked for in words, after everything that stays the same.
      const sent = mlx.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }>; response_format?: unknown };
      expect(sent.response_format).toBeUndefined();
      expect(sent.messages.at(-1)!.content).toMatch(
        /<system-reminder>\nReply with only a JSON object that matches this JSON schema, with no other text before or after it: \{"type":"object","properties":\{"title":\{"type":"string"\}\}.*\n<\/system-reminder>$/,
      );

      mlx.script({ text: fenced.join("") });
      const message = (await (await proxy.post("/v1/messages", { ...request, stream: false })).json()) as { content: unknown[] };
      expect(message.content).toEqual([{ type: "text", text: '{"title": "What is 2+2"}' }]);
    });
  });

  it("400 naming the field for an output_config.format mallex cannot honour", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const response = await proxy.post("/v1/messages", userMessage("hi", { output_config: { format: { type: "regex", pattern: "a+" } } }));
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/output_config\.format/);
  });

  it("ends with an error event when the backend closes mid-stream (no [DONE])", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["a", "b", "c"], failure: "close-mid-stream", failAfterTokens: 2 });
    const events = await anthropicEvents(await proxy.post("/v1/messages", userMessage("x", { stream: true })));
    expect(events.at(-1)).toMatchObject({ type: "error", error: { type: "api_error" } });
    expect(events.map((e) => e.type)).not.toContain("message_stop");
    expect(proxy.logs.at(-1)).toMatch(/error: /);
  });

  it("sends pings while the backend prefills, and fails with overloaded_error when it goes silent", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, ctx: { pingIntervalMs: 40, requestTimeoutMs: 400 } });
    mlx.script({ text: "late", prefillMs: 150 });
    const prefill = await anthropicEvents(await proxy.post("/v1/messages", userMessage("x", { stream: true })));
    expect(prefill.filter((e) => e.type === "ping").length).toBeGreaterThanOrEqual(3);
    expect(prefill.at(-1)).toEqual({ type: "message_stop" });

    mlx.script({ failure: "hang" });
    const hung = await anthropicEvents(await proxy.post("/v1/messages", userMessage("x", { stream: true })));
    expect(hung.at(-1)).toMatchObject({
      type: "error",
      error: {
        type: "overloaded_error",
        message: expect.stringContaining(
          "went silent for 0.4 s partway through its answer. If the model needs longer (a long prompt, a busy server), raise server.request_timeout_s (or backends.mlx.timeout_s) in mallex.yaml.",
        ),
      },
    });
    await vi.waitFor(() => expect(mlx.requests.at(-1)!.aborted).toBe(true));
  });

  it("ends an answer still coming past server.answer_timeout_s, however steadily its tokens drip, and closes the backend's request", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, ctx: { requestTimeoutMs: 30_000, answerTimeoutMs: 300 } });
    const why = `mlx at ${mlx.url} was still answering after 0.3 s, the longest one answer may take (server.answer_timeout_s in mallex.yaml): it was stopped`;
    const drip = () => ({ text: Array.from({ length: 400 }, (_, i) => `w${i} `), tokenDelayMs: 10 });

    mlx.script(drip());
    const streamed = await anthropicEvents(await proxy.post("/v1/messages", userMessage("x", { stream: true })));
    expect(streamed.filter((e) => e.type === "content_block_delta").length).toBeGreaterThan(3);
    expect(streamed.at(-1)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: expect.stringContaining(why) } });
    await vi.waitFor(() => expect(mlx.requests.at(-1)!.aborted).toBe(true));

    mlx.script(drip());
    const whole = await proxy.post("/v1/messages", userMessage("x"));
    expect(whole.status).toBe(529);
    expect(((await whole.json()) as { error: { type: string; message: string } }).error).toEqual({
      type: "overloaded_error",
      message: expect.stringContaining(why),
    });
    await vi.waitFor(() => expect(mlx.requests.at(-1)!.aborted).toBe(true));
  });

  it("400 with the backend's message when mlx-lm refuses the request (its 404)", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ status: 404, errorBody: { error: "Only 'text' content type is supported." } });
    const response = await proxy.post("/v1/messages", userMessage("x"));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      type: "error",
      error: { type: "invalid_request_error", message: "The model server rejected the request: mlx answered HTTP 404: Only 'text' content type is supported." },
      request_id: anyRequestId,
    });
  });

  it("500 that says the server failed when mlx-lm hangs up without a response (its answer to bad parameters)", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ failure: "reset-before-headers" });
    const response = await proxy.post("/v1/messages", userMessage("x", { stream: true }));
    expect(response.status).toBe(500);
    expect(response.headers.get("x-should-retry")).toBe("false");
    expect(await response.json()).toEqual({
      type: "error",
      error: {
        type: "api_error",
        message: expect.stringMatching(
          /^The model server failed on this request: mlx at .* closed the connection without answering \(\w+\)\. Its log says why\.$/,
        ),
      },
      request_id: anyRequestId,
    });
  });

  it("529 overloaded when the backend does not answer in time", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, ctx: { requestTimeoutMs: 300 } });
    mlx.script({ failure: "hang" });
    const response = await proxy.post("/v1/messages", userMessage("x"));
    expect(response.status).toBe(529);
    expect(response.headers.get("x-should-retry")).toBe("true");
    expect(await response.json()).toEqual({
      type: "error",
      error: {
        type: "overloaded_error",
        message: `mlx at ${mlx.url} sent no answer within 0.3 s. If the model needs longer (a long prompt, a busy server), raise server.request_timeout_s (or backends.mlx.timeout_s) in mallex.yaml.`,
      },
      request_id: anyRequestId,
    });
  });

  it("400 for an image sent to a profile without vision", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const image = { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBORw0KGgo=" } };
    const response = await proxy.post(
      "/v1/messages",
      userMessage("x", { messages: [{ role: "user", content: [image, { type: "text", text: "what is this?" }] }] }),
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/^messages\.0\.content\.0: .*qwen3-coder-30b.*vision/);
  });
});

describe("routing", () => {
  it("sends haiku (background) requests to the low tier and chit-chat by intent", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    await (await proxy.post("/v1/messages", { ...userMessage("summarize"), model: "claude-haiku-4-5" })).text();
    await (await proxy.post("/v1/messages", userMessage("thanks!"))).text();
    expect(proxy.logs.map((l) => l.split(" · ")[0])).toEqual([
      "claude-haiku-4-5 → qwen3-coder-30b (model claude-haiku-4-5 → low)",
      "claude-opus-4-8 → qwen3-coder-30b (intent chit_chat → low)",
    ]);
  });

  it("falls back from the Claude tier to the local one when no API key is set, and escalates a session that says try again", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const session = { "x-claude-code-session-id": "s-1" };
    await (await proxy.post("/v1/messages", userMessage("Design a plugin architecture for this app"), session)).text();
    await (await proxy.post("/v1/messages", userMessage("that's wrong, try again"), session)).text();
    expect(proxy.logs.map((l) => l.split(" · ")[0])).toEqual([
      "claude-opus-4-8 → qwen3-coder-30b (intent hard_question → high → fallback medium)",
      "claude-opus-4-8 → qwen3-coder-30b (intent try_again escalates medium → high → fallback medium)",
    ]);
  });

  it("forwards the high tier to the Anthropic API with the key, the profile's model and no unsigned thinking", async () => {
    const anthropic = await startFakeAnthropicApi();
    const received = anthropic.received;
    const table = structuredClone(defaultTable);
    table.backends.anthropic!.baseUrl = anthropic.url;
    const proxy = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" } });
    const request = userMessage("Find the root cause of this deadlock", {
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "local thought", signature: "" },
            { type: "text", text: "hello" },
          ],
        },
        { role: "user", content: "Find the root cause of this deadlock" },
      ],
    });
    const response = await proxy.post("/v1/messages", request, { "anthropic-beta": "interleaved-thinking-2025-05-14", "anthropic-version": "2023-06-01" });
    expect(await response.json()).toMatchObject({ content: [{ type: "text", text: "from the fake claude" }] });
    expect(response.headers.get("request-id")).toBe("req_fake");
    expect(received[0]!.headers["x-api-key"]).toBe("sk-real");
    expect(received[0]!.headers["anthropic-beta"]).toBe("interleaved-thinking-2025-05-14");
    expect(received[0]!.body.model).toBe("claude-sonnet-4-6");
    expect((received[0]!.body.messages as Array<{ content: unknown }>)[1]!.content).toEqual([{ type: "text", text: "hello" }]);
    await anthropic.close();
  });

  it("escalates a request too long for the local profile to the Claude tier, and refuses it clearly without one", async () => {
    const table = structuredClone(defaultTable);
    table.profiles["qwen3-coder-30b"]!.inputBudget = 300;
    const long = userMessage(`Explain this log:\n${"error: connection reset by peer\n".repeat(60)}`);

    const local = createTestProxy({ backendUrl: mlx.url, table });
    const refused = await local.post("/v1/messages", long);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(
      /^prompt is too long: \d+ tokens > 300 maximum of mallex profile "qwen3-coder-30b"/,
    );

    const anthropic = await startFakeAnthropicApi();
    table.backends.anthropic!.baseUrl = anthropic.url;
    const withClaude = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" } });
    const escalated = await withClaude.post("/v1/messages", long);
    expect(await escalated.json()).toMatchObject({ content: [{ type: "text", text: "from the fake claude" }] });
    expect(anthropic.received).toHaveLength(1);
    expect(withClaude.logs.at(-1)).toBe(
      "claude-opus-4-8 → claude-sonnet (default → medium → too long for qwen3-coder-30b, escalated to high) · forwarded to the Anthropic API · req_test0001",
    );
    await anthropic.close();
  });
});
