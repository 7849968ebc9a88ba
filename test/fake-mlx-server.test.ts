import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createFakeMlxServer } from "./fakes/mlx-lm-server.js";
import type { FakeMlxServer, FakeMlxServerOptions } from "./fakes/mlx-lm-server.js";
import { headerOf, rawExchange, rawRequest } from "./fakes/raw-http.js";
import { dataPayloads, readSSE } from "./fakes/read-sse.js";

interface Delta {
  role: string;
  content?: string;
  reasoning?: string;
  tool_calls?: ToolCall[];
}
interface ToolCall {
  index?: number;
  id: string;
  type: string;
  function: { name: string; arguments: string };
}
interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}
interface Chunk {
  id: string;
  system_fingerprint: string;
  object: string;
  model: string;
  created: number;
  choices: Array<{ index: number; finish_reason: string | null; delta: Delta }>;
  usage?: Usage;
}
interface Completion {
  object: string;
  model: string;
  choices: Array<{ finish_reason: string; message: Delta & { content?: string | null } }>;
  usage: Usage;
}

const user = (content: string) => ({ role: "user", content });
let mlx: FakeMlxServer;
const start = async (options: FakeMlxServerOptions = {}) => (mlx = await createFakeMlxServer(options));
const post = (body: unknown, path = "/chat/completions") => fetch(`${mlx.url}${path}`, { method: "POST", body: JSON.stringify(body) });
const complete = async (body: object) => (await (await post({ max_tokens: 1000, ...body })).json()) as Completion;
const stream = async (body: object) => readSSE(await post({ max_tokens: 1000, stream: true, ...body }));

beforeEach(() => start());
afterEach(() => mlx.close());

describe("HTTP/1.0 wire format", () => {
  it("streams close-delimited: HTTP/1.0, no Content-Length, no chunked framing, socket closed at the end", async () => {
    mlx.script({ text: "Hi there" });
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: { messages: [user("x")], stream: true } });
    expect(res.statusLine).toBe("HTTP/1.0 200 OK");
    expect(headerOf(res, "Content-type")).toBe("text/event-stream");
    expect(headerOf(res, "Content-Length")).toBeUndefined();
    expect(headerOf(res, "Transfer-Encoding")).toBeUndefined();
    expect(res.body.startsWith(": keepalive 0/")).toBe(true);
    expect(res.body.split("\r\n")).toHaveLength(1); // no chunk-size lines
    expect(res.body.endsWith("data: [DONE]\n\n")).toBe(true);
    expect(res.ended).toBe("end");
  });

  it("sends a non-streamed completion with an exact Content-Length", async () => {
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: { messages: [user("hello")] } });
    expect(res.statusLine).toBe("HTTP/1.0 200 OK");
    expect(Number(headerOf(res, "Content-Length"))).toBe(Buffer.byteLength(res.body));
    expect(res.body).toContain('"content": "hello"'); // Python json.dumps spacing
    expect(res.ended).toBe("end");
  });
});

describe("endpoints", () => {
  it("serves /v1/chat/completions and /chat/completions", async () => {
    for (const path of ["/v1/chat/completions", "/chat/completions"]) {
      const res = await rawRequest(mlx.port, { path, body: { messages: [user("hi")] } });
      expect(res.status).toBe(200);
    }
  });

  it.each(["/v1/chat/completions?beta=true", "/v1/messages", "/v1/chat/completions/"])("answers POST %s with 404 Not Found labelled JSON", async (path) => {
    const res = await rawRequest(mlx.port, { path, body: { messages: [user("hi")] } });
    expect([res.status, res.body, headerOf(res, "Content-type")]).toEqual([404, "Not Found", "application/json"]);
  });

  it("answers a minimal /v1/completions", async () => {
    mlx.script({ text: " upon a time" });
    const body = (await (await post({ prompt: "Once", max_tokens: 10 }, "/completions")).json()) as {
      id: string;
      object: string;
      choices: Array<{ text: string }>;
    };
    expect(body.id).toMatch(/^cmpl-/);
    expect([body.object, body.choices[0]?.text]).toEqual(["text_completion", " upon a time"]);
  });

  it("lists the loaded model on /v1/models and filters /v1/models/<id>", async () => {
    const list = await (await fetch(`${mlx.url}/models`)).json();
    expect(list).toMatchObject({ object: "list", data: [{ id: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit", object: "model" }] });
    const other = await (await fetch(`${mlx.url}/models/someone/else`)).json();
    expect(other).toEqual({ object: "list", data: [] });
  });

  it("says /health ok while the model is still loading, and holds generations until it has loaded", async () => {
    await mlx.close();
    await start({ loadMs: 1000 });
    let answered = false;
    const generation = complete({ messages: [user("hi")] }).finally(() => (answered = true));
    const health = await rawRequest(mlx.port, { method: "GET", path: "/health" });
    expect([health.status, health.body]).toEqual([200, '{"status": "ok"}']);
    expect(answered).toBe(false);
    expect((await generation).object).toBe("chat.completion");
  });

  it("answers OPTIONS with 204 and CORS headers, unknown GETs with 404, other methods with 501", async () => {
    const options = await rawRequest(mlx.port, { method: "OPTIONS", path: "/anything" });
    expect(options.status).toBe(204);
    expect(headerOf(options, "Access-Control-Allow-Origin")).toBe("*");
    const get = await rawRequest(mlx.port, { method: "GET", path: "/health?x=1" });
    expect([get.status, get.body]).toEqual([404, "Not Found"]);
    expect((await rawRequest(mlx.port, { method: "PUT", path: "/health" })).status).toBe(501);
  });
});

describe("malformed requests", () => {
  it("answers 411 without Content-Length, 400 for bad JSON, a non-object body or a bad Content-Length", async () => {
    const noLength = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: "{}", contentLength: false });
    expect([noLength.status, JSON.parse(noLength.body)]).toEqual([411, { error: "Content-Length header is required" }]);
    const badJson = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: "{nope" });
    expect([badJson.status, badJson.body]).toEqual([400, expect.stringMatching(/^\{"error": "Invalid JSON in request body: /)]);
    const array = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: "[1]" });
    expect([array.status, JSON.parse(array.body)]).toEqual([400, { error: "Request should be a JSON dictionary" }]);
    const badLength = await rawRequest(mlx.port, { path: "/v1/chat/completions", headers: { "Content-Length": "abc" } });
    expect([badLength.status, JSON.parse(badLength.body)]).toEqual([400, { error: "Invalid Content-Length header" }]);
  });

  it.each([
    ['"max_tokens": "10"', "max_tokens must be of type int"],
    ['"max_tokens": 100.0', "max_tokens must be of type int"],
    ['"max_tokens": 0', "max_tokens must be at least 1"],
    ['"temperature": -0.5', "temperature must be at least 0"],
    ['"top_p": 1.5', "top_p must be at most 1"],
    ['"top_k": 2.5', "top_k must be of type int"],
    ['"min_p": null', "min_p must be of type ('float', 'int')"],
    ['"xtc_probability": 0', "xtc_probability must be of type float"],
    ['"stream": "yes"', "stream must be of type bool"],
    ['"model": 7', "requested_model must be of type str"],
    ['"logit_bias": {"a": 1}', "logit_bias must be a dict of int to float"],
    ['"prompt": "no messages"', "Request did not contain messages"],
  ])('answers 400 {"error"} for {%s}, as the real 0.32.2 does (0.32.0\'s source closed the socket)', async (field, reason) => {
    const messages = field.startsWith('"prompt"') ? "" : '"messages": [{"role": "user", "content": "x"}], ';
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: `{${messages}${field}}` });
    expect([res.status, JSON.parse(res.body)]).toEqual([400, { error: reason }]);
    expect(mlx.requests.at(-1)?.dropped).toBeUndefined();
  });

  it("still closes the socket without any response for a body that is not UTF-8 (an uncaught UnicodeDecodeError)", async () => {
    const head = `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${mlx.port}\r\nContent-Length: 3\r\n\r\n`;
    const res = await rawExchange(mlx.port, Buffer.concat([Buffer.from(head), Buffer.from([0x7b, 0xff, 0x7d])]));
    expect([res.raw.length, res.ended]).toEqual([0, "end"]);
    expect(mlx.requests.at(-1)?.dropped).toContain("UnicodeDecodeError");
  });

  it("accepts what Python accepts: float xtc values, a bool as an int", async () => {
    const body = '{"messages": [{"role": "user", "content": "x"}], "xtc_probability": 0.0, "xtc_threshold": 0.1, "max_tokens": true}';
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ choices: [{ finish_reason: "length" }], usage: { completion_tokens: 1 } });
  });

  it("tries to download any other model name: 404 Repository Not Found, recorded, default model reloaded after", async () => {
    const t0 = Date.now();
    const res = await post({ model: "claude-sonnet-4-6-20250929", messages: [user("hi")] });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: string }).error).toContain(
      "Repository Not Found for url: https://huggingface.co/api/models/claude-sonnet-4-6-20250929",
    );
    expect(Date.now() - t0).toBeGreaterThanOrEqual(20);
    await complete({ model: "default_model", messages: [user("hi")] });
    expect(mlx.modelLoadAttempts).toEqual([
      { model: "claude-sonnet-4-6-20250929", ok: false },
      { model: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit", ok: true },
    ]);
  });

  it("does not load anything for requests without a model or naming the loaded one", async () => {
    await complete({ messages: [user("a")] });
    await complete({ model: "mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit", messages: [user("b")] });
    expect(mlx.modelLoadAttempts).toEqual([]);
  });

  it("answers 404 for non-text content parts and for tool-call arguments that are not JSON", async () => {
    const image = await post({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] });
    expect([image.status, await image.json()]).toEqual([404, { error: "Only 'text' content type is supported." }]);
    const call = { id: "1", type: "function", function: { name: "Read", arguments: "{not json" } };
    const bad = await post({ messages: [user("x"), { role: "assistant", content: null, tool_calls: [call] }] });
    expect(bad.status).toBe(404);
  });
});

describe("generation", () => {
  it("stops at 512 tokens when the request omits max_tokens", async () => {
    mlx.script({ text: tokens(600) }, { text: tokens(600) });
    const body = (await (await post({ messages: [user("x")] })).json()) as Completion;
    expect([body.usage.completion_tokens, body.choices[0]?.finish_reason]).toEqual([512, "length"]);
    expect(body.choices[0]?.message.content).toBe(tokens(512).join(""));
    const full = await complete({ messages: [user("x")] });
    expect([full.usage.completion_tokens, full.choices[0]?.finish_reason]).toEqual([601, "stop"]); // + EOS
  });

  it("streams one chunk per token shaped like mlx-lm's, tool calls whole, then usage only when asked", async () => {
    mlx.script({ reasoning: "Hmm.", text: "Reading it.", toolCalls: [{ name: "Read", arguments: { file_path: "/a.ts" } }] });
    const events = await stream({ model: "default_model", messages: [user("x")], stream_options: { include_usage: true } });
    const chunks = dataPayloads(events) as Chunk[];
    const usage = chunks.pop();
    expect(usage).toMatchObject({ object: "chat.completion", choices: [], usage: { prompt_tokens_details: { cached_tokens: 0 } } });
    expect(events.at(-1)?.data).toBe("[DONE]");
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id: chunks[0]?.id,
        object: "chat.completion.chunk",
        model: "default_model",
        system_fingerprint: expect.stringMatching(/^0\.32\.0-/),
      });
      expect(chunk.choices[0]?.delta.role).toBe("assistant");
    }
    expect(chunks[0]?.id).toMatch(/^chatcmpl-[0-9a-f-]{36}$/);
    expect(chunks.map((c) => c.choices[0]?.delta.reasoning ?? "").join("")).toBe("Hmm.");
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? "").join("")).toBe("Reading it.");
    expect(chunks.filter((c) => Object.keys(c.choices[0]?.delta ?? {}).length === 1)).toHaveLength(1); // only the final one is bare
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([{ function: { name: "Read", arguments: '{"file_path": "/a.ts"}' }, type: "function", id: expect.any(String), index: 0 }]);
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe("tool_calls");
    const withoutUsage = dataPayloads(await stream({ messages: [user("x")] })) as Chunk[];
    expect(withoutUsage.some((c) => c.usage !== undefined || c.object === "chat.completion")).toBe(false);
  });

  it("sends `: keepalive N/M` comments while prefilling, before any data", async () => {
    await mlx.close();
    await start({ prefillStepSize: 4 });
    mlx.script({ text: "ok", prefillMs: 60, promptTokens: 13 });
    const events = await stream({ messages: [user("x")] });
    const comments = events.filter((e) => e.comment !== undefined).map((e) => e.comment);
    expect(comments).toEqual(["keepalive 0/13", "keepalive 4/13", "keepalive 8/13", "keepalive 12/13", "keepalive 13/13"]);
    expect(events.findIndex((e) => e.comment === undefined)).toBe(comments.length);
  });

  it("ends a stream whose stream_options lacks include_usage after the final chunk, without [DONE]", async () => {
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: { messages: [user("x")], stream: true, stream_options: {} } });
    expect(res.body).toContain('"finish_reason": "stop"');
    expect(res.body).not.toContain("[DONE]");
  });

  it("shapes non-streamed replies: content null when empty, reasoning, tool_calls without index, usage", async () => {
    mlx.script({ reasoning: "Plan.", toolCalls: [{ name: "Bash", arguments: '{"command":"ls"}', id: "functions.Bash:0" }] });
    const body = await complete({ messages: [user("x")] });
    expect(body.choices[0]).toEqual({
      index: 0,
      finish_reason: "tool_calls",
      message: {
        role: "assistant",
        content: null,
        reasoning: "Plan.",
        tool_calls: [{ function: { name: "Bash", arguments: '{"command":"ls"}' }, type: "function", id: "functions.Bash:0" }],
      },
    });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  it("leaks unparsed tool markup as content and strips a stop sequence", async () => {
    mlx.script({ rawText: "<function=Read>x</function>" }, { text: "one END two" });
    expect((await complete({ messages: [user("x")] })).choices[0]?.message.content).toBe("<function=Read>x</function>");
    const stopped = await complete({ messages: [user("x")], stop: "END" });
    expect([stopped.choices[0]?.message.content, stopped.choices[0]?.finish_reason]).toEqual(["one ", "stop"]);
  });

  it("reports cached_tokens from the longest prefix shared with earlier prompts", async () => {
    const system = { role: "system", content: "You are a careful coding agent. ".repeat(20) };
    const tools = [
      { type: "function", function: { name: "Read", parameters: { type: "object" } } },
      { type: "function", function: { name: "Bash" } },
    ];
    mlx.script({ text: "First answer." });
    const first = await complete({ messages: [system, user("one")], tools });
    expect(first.usage.prompt_tokens_details.cached_tokens).toBe(0);
    const second = await complete({ messages: [system, user("one"), { role: "assistant", content: "First answer." }, user("two")], tools });
    expect(second.usage.prompt_tokens_details.cached_tokens).toBe(first.usage.prompt_tokens + first.usage.completion_tokens);
    // The template renders the system prompt, then the tools: reordering them breaks the prefix there.
    const reordered = await complete({ messages: [system, user("one")], tools: [...tools].reverse() });
    expect(reordered.usage.prompt_tokens_details.cached_tokens).toBeGreaterThan(100); // the system prompt
    expect(reordered.usage.prompt_tokens_details.cached_tokens).toBeLessThan(first.usage.prompt_tokens - 20);
  });
});

describe("scripted failures", () => {
  const body = { messages: [user("x")], stream: true };

  it("close-mid-stream: K tokens, then EOF without [DONE]; non-streamed: no bytes", async () => {
    mlx.script({ text: "a b c d e", failure: "close-mid-stream", failAfterTokens: 2 }, { text: "a b", failure: "close-mid-stream" });
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body });
    expect(parseContent(res.body)).toBe("a b");
    expect([res.body.includes("[DONE]"), res.body.includes('"finish_reason": "stop"'), res.ended]).toEqual([false, false, "end"]);
    const plain = await rawRequest(mlx.port, { path: "/v1/chat/completions", body: { messages: [user("x")] } });
    expect(plain.raw.length).toBe(0);
  });

  it("hang: headers, then nothing until close()", async () => {
    mlx.script({ failure: "hang" });
    const res = await rawRequest(mlx.port, { path: "/v1/chat/completions", body, timeoutMs: 150 });
    expect([res.status, res.body, res.ended]).toEqual([200, "", "timeout"]);
    mlx.script({ failure: "hang" });
    const pending = rawRequest(mlx.port, { path: "/v1/chat/completions", body });
    await new Promise((r) => setTimeout(r, 50));
    await mlx.close();
    expect((await pending).ended).toBe("end");
  });

  it("reset-before-headers and http-error", async () => {
    mlx.script({ failure: "reset-before-headers" }, { failure: "http-error", status: 503, errorBody: { error: "busy" } });
    const reset = await rawRequest(mlx.port, { path: "/v1/chat/completions", body });
    expect([reset.raw.length, reset.ended]).toEqual([0, "reset"]);
    const error = await rawRequest(mlx.port, { path: "/v1/chat/completions", body });
    expect([error.status, JSON.parse(error.body)]).toEqual([503, { error: "busy" }]);
  });

  it("records a client that went away mid-stream as aborted", async () => {
    mlx.script({ text: tokens(50), tokenDelayMs: 20 });
    const controller = new AbortController();
    const res = await fetch(`${mlx.url}/chat/completions`, { method: "POST", body: JSON.stringify(body), signal: controller.signal });
    await res.body?.getReader().read();
    controller.abort();
    await expect.poll(() => mlx.requests.at(-1)?.aborted).toBe(true);
  });
});

function tokens(n: number): string[] {
  return Array.from({ length: n }, (_, i) => ` w${i}`);
}

function parseContent(sseBody: string): string {
  return sseBody
    .split("\n\n")
    .filter((frame) => frame.startsWith("data: {"))
    .map((frame) => (JSON.parse(frame.slice(6)) as Chunk).choices[0]?.delta.content ?? "")
    .join("");
}
