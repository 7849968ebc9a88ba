/**
 * Backends that fail: every fault becomes the Anthropic error that means it (status, type, a
 * sentence naming the backend and the setting), the answer ends in bounded time, the next request
 * works, and a client that goes away ends the upstream request in every mode. The timeouts are short
 * ones from the config (backends.<name>.timeout_s); nothing here times mallex's speed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { toNodeHandler } from "h3";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { createApp } from "../src/server/create-app.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { createTestProxy, defaultTable, type TestProxy } from "./helpers/test-proxy.js";

/** A table whose mlx backend gives up after `timeoutMs` of silence (its timeout_s), with a key from $MLX_KEY. */
function tableWith(timeoutMs: number): RoutingTable {
  const table = structuredClone(defaultTable);
  table.backends.mlx!.timeoutMs = timeoutMs;
  table.backends.mlx!.apiKey = "${MLX_KEY}";
  return table;
}

const ask = (extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 1024,
  messages: [{ role: "user", content: "Say hello." }],
  ...extra,
});
const askClaude = (extra: Record<string, unknown> = {}) => ask({ messages: [{ role: "user", content: "Find the root cause of this deadlock" }], ...extra });

interface ErrorBody {
  type: "error";
  error: { type: string; message: string };
}

async function expectError(response: Response, status: number, type: string, message: RegExp | string, retry?: "true" | "false") {
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, type: body.error.type }).toEqual({ status, type });
  if (typeof message === "string") expect(body.error.message).toBe(message);
  else expect(body.error.message).toMatch(message);
  if (retry !== undefined) expect(response.headers.get("x-should-retry")).toBe(retry);
  return body;
}

async function streamEvents(response: Response) {
  expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
  return parseSSE(await response.text())
    .filter((event) => event.comment === undefined)
    .map((event) => JSON.parse(event.data) as { type: string; error?: { type: string; message: string } });
}

/** Nothing that reached the client may be reported as a bug of mallex's. */
function expectNoInternalError(proxy: TestProxy) {
  expect(proxy.logs.join("\n")).not.toMatch(/internal error|mallex failed/);
}

// A raw node:http backend for what the fake mlx-lm.server does not do.
interface RawBackend {
  url: string;
  /** One entry per request: set to true when the client hung up before the answer was complete. */
  aborted: boolean[];
  close(): Promise<void>;
}

async function startRawBackend(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<RawBackend> {
  const aborted: boolean[] = [];
  const server = createServer((req, res) => {
    const index = aborted.push(false) - 1;
    res.on("close", () => (aborted[index] = !res.writableFinished));
    req.resume();
    req.on("end", () => handle(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    aborted,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const completion = (text: string) =>
  JSON.stringify({
    id: "chatcmpl-1",
    object: "chat.completion",
    choices: [{ index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" }],
    usage: { prompt_tokens: 3, completion_tokens: 1 },
  });

let mlx: FakeMlxServer;
let raw: RawBackend | undefined;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterEach(async () => {
  await raw?.close();
  raw = undefined;
});
afterAll(() => mlx.close());

const lastGeneration = (): FakeRequestRecord => mlx.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1)!;

/** The backend saw the client go away (polls for a second, the promise of the brief). */
async function expectAbortSeen(seen: () => boolean | undefined) {
  await expect.poll(seen, { timeout: 1000, interval: 20 }).toBe(true);
}

/** Then the same proxy answers the next request normally. */
async function expectNextWorks(proxy: TestProxy) {
  mlx.script({ text: "Fine again." });
  const response = await proxy.post("/v1/messages", ask());
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ content: [{ type: "text", text: "Fine again." }] });
}

describe("a backend that goes silent: 529 overloaded_error naming the setting to raise", () => {
  const raise = "If the model needs longer (a long prompt, a busy server), raise backends.mlx.timeout_s in mallex.yaml.";

  it("no headers (a non-streamed generation that never ends): 529, retryable, and the backend is let go", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(300) });
    mlx.script({ failure: "hang" });
    const response = await proxy.post("/v1/messages", ask());
    await expectError(response, 529, "overloaded_error", `mlx at ${mlx.url} sent no answer within 0.3 s. ${raise}`, "true");
    await expectAbortSeen(() => lastGeneration().aborted);
    expectNoInternalError(proxy);
    await expectNextWorks(proxy);
  });

  it("headers, then nothing, streamed: the stream ends with an overloaded_error event", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(300) });
    mlx.script({ failure: "hang" });
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true })));
    expect(events[0]!.type).toBe("message_start");
    expect(events.at(-1)).toEqual({
      type: "error",
      error: { type: "overloaded_error", message: `mlx at ${mlx.url} went silent for 0.3 s partway through its answer. ${raise}` },
    });
    await expectAbortSeen(() => lastGeneration().aborted);
    await expectNextWorks(proxy);
  });

  it("headers, then nothing, not streamed: the body read is bounded too", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "500" });
      res.write('{"id": "chatcmpl-1", ');
    });
    const proxy = createTestProxy({ backendUrl: raw.url, table: tableWith(300) });
    await expectError(
      await proxy.post("/v1/messages", ask()),
      529,
      "overloaded_error",
      `mlx at ${raw.url} went silent for 0.3 s partway through its answer. ${raise}`,
      "true",
    );
    await expectAbortSeen(() => raw!.aborted[0]);
    expectNoInternalError(proxy);
  });

  it("a drip slower than the timeout, streamed: an overloaded_error event after the text that came", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      let sent = 0;
      const drip = () => {
        res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: `tick${sent} ` }, finish_reason: null }] })}\n\n`);
        if (++sent < 20) timer = setTimeout(drip, 1500);
      };
      let timer = setTimeout(drip, 0);
      res.on("close", () => clearTimeout(timer));
    });
    const proxy = createTestProxy({ backendUrl: raw.url, table: tableWith(300) });
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true })));
    expect(events.filter((e) => e.type === "content_block_delta")).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: "error", error: { type: "overloaded_error", message: expect.stringContaining("went silent for 0.3 s") } });
    await expectAbortSeen(() => raw!.aborted[0]);
  });

  it("a stop-sequence request not streamed by the client (mallex streams it): 529, retryable", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(300) });
    mlx.script({ failure: "hang" });
    const response = await proxy.post("/v1/messages", ask({ stop_sequences: ["STOP"] }));
    await expectError(response, 529, "overloaded_error", /went silent for 0\.3 s partway through its answer/, "true");
    await expectAbortSeen(() => lastGeneration().aborted);
  });
});

describe("error statuses mapped by meaning", () => {
  const answerWith = (status: number, body: string, headers: Record<string, string> = {}) =>
    startRawBackend((_req, res) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(body);
    });
  const openAIError = (message: string, type: string) => JSON.stringify({ error: { message, type, code: null } });

  it("429 → 429 rate_limit_error, retryable, with the backend's retry-after", async () => {
    raw = await answerWith(429, openAIError("Too many requests", "rate_limit_exceeded"), { "retry-after": "7" });
    const proxy = createTestProxy({ backendUrl: raw.url });
    const response = await proxy.post("/v1/messages", ask());
    expect(response.headers.get("retry-after")).toBe("7");
    await expectError(response, 429, "rate_limit_error", "The model server is rate-limiting mallex: mlx answered HTTP 429: Too many requests", "true");
  });

  it("429 without retry-after: one derived from OpenAI's rate-limit reset headers", async () => {
    raw = await answerWith(429, openAIError("slow down", "rate_limit_exceeded"), { "x-ratelimit-reset-requests": "1m30s", "x-ratelimit-reset-tokens": "20ms" });
    const response = await createTestProxy({ backendUrl: raw.url }).post("/v1/messages", ask({ stream: true }));
    expect(response.headers.get("retry-after")).toBe("90");
    await expectError(response, 429, "rate_limit_error", /slow down$/, "true");
  });

  it("401 → 401 authentication_error naming the key setting, never the key", async () => {
    raw = await answerWith(401, openAIError("Invalid API Key", "authentication_error"));
    const proxy = createTestProxy({ backendUrl: raw.url, table: tableWith(30_000), env: { MLX_KEY: "sk-secret-value" } });
    const body = await expectError(
      await proxy.post("/v1/messages", ask()),
      401,
      "authentication_error",
      "The model server refused mallex's credentials: mlx answered HTTP 401: Invalid API Key. Check backends.mlx.api_key in mallex.yaml (now ${MLX_KEY}).",
      "false",
    );
    expect(JSON.stringify(body)).not.toContain("sk-secret-value");
  });

  it("403 → 403 permission_error naming the key setting", async () => {
    raw = await answerWith(403, openAIError("This key may not use that model", "permission_error"));
    const proxy = createTestProxy({ backendUrl: raw.url });
    await expectError(
      await proxy.post("/v1/messages", ask()),
      403,
      "permission_error",
      "The model server denied access: mlx answered HTTP 403: This key may not use that model. Check backends.mlx.api_key in mallex.yaml (not set) and what that key may use.",
      "false",
    );
  });

  it("500 and 502 → 502 api_error, 503 → 503 api_error: retryable, never a 400", async () => {
    for (const [status, answered] of [
      [500, 502],
      [502, 502],
      [503, 503],
    ] as const) {
      raw = await answerWith(status, openAIError(`upstream ${status}`, "server_error"), status === 503 ? { "retry-after": "3" } : {});
      const response = await createTestProxy({ backendUrl: raw.url }).post("/v1/messages", ask());
      await expectError(
        response,
        answered,
        "api_error",
        new RegExp(`^The model server (failed|is unavailable): mlx answered HTTP ${status}: upstream ${status}$`),
        "true",
      );
      expect(response.headers.get("retry-after")).toBe(status === 503 ? "3" : null);
      await raw.close();
      raw = undefined;
    }
  });

  it("mlx-lm's own 404 (a generation that could not start) stays a 400 with its message", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ status: 404, errorBody: { error: "Only 'text' content type is supported." } });
    await expectError(
      await proxy.post("/v1/messages", ask()),
      400,
      "invalid_request_error",
      "The model server rejected the request: mlx answered HTTP 404: Only 'text' content type is supported.",
      "false",
    );
  });
});

describe("answers that are not a completion: 502 api_error saying what was wrong, no mallex bug in the log", () => {
  const cases = [
    {
      name: "not JSON",
      body: "<html><body>Bad Gateway</body></html>",
      message:
        /^The model server's answer is not a chat completion: mlx at \S+ answered with something that is not JSON: <html><body>Bad Gateway<\/body><\/html>\.$/,
    },
    {
      name: "JSON without choices",
      body: JSON.stringify({ id: "x", object: "chat.completion" }),
      message: /answered without choices \(no message in it\): \{"id":"x","object":"chat\.completion"\}\.$/,
    },
    {
      name: "a JSON error object sent with 200",
      body: JSON.stringify({ error: { message: "model crashed" } }),
      message: /reported an error instead of an answer: model crashed\.$/,
    },
    { name: "an empty body", body: "", message: /something that is not JSON: \(an empty body\)\.$/ },
  ];
  for (const { name, body, message } of cases) {
    it(name, async () => {
      raw = await startRawBackend((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(body);
      });
      const proxy = createTestProxy({ backendUrl: raw.url });
      await expectError(await proxy.post("/v1/messages", ask()), 502, "api_error", message, "false");
      expectNoInternalError(proxy);
      expect(proxy.logs.at(-1)).toMatch(/backend failed: /);
    });
  }

  it("an answer longer than its max_tokens allows (1.4 MiB for 1,024 tokens; an endless one, toward V8's longest string): cut off unread, the proxy unharmed", async () => {
    let closed = false;
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, " ");
      res.on("close", () => (closed = true));
      // An endless body: only a reader with a limit ever stops.
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on("drain", pump);
      pump();
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    await expectError(
      await proxy.post("/v1/messages", ask()),
      502,
      "api_error",
      /^The model server's answer is not a chat completion: mlx at \S+ answered with more than 1\.4 MiB, more than an answer of max_tokens 1,024 can be: its answer was cut off unread\.$/,
      "false",
    );
    await expect.poll(() => closed).toBe(true);
    expectNoInternalError(proxy);
    expect((await proxy.fetch("/health")).status).toBe(200);
  });

  it("an answer of more JSON values than any completion holds (1 MB of empty objects): 502 before JSON.parse builds them", async () => {
    const objects = `[${"{},".repeat(350_000)}{}]`;
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        `{"id":"c","object":"chat.completion","x":${objects},"choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"Hi"}}]}`,
      );
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    await expectError(
      await proxy.post("/v1/messages", ask()),
      502,
      "api_error",
      /answered with more than 16,384 JSON values, which is no chat completion: \{"id":"c"/,
      "false",
    );
    expectNoInternalError(proxy);
  });

  it("a backend that answers again after a malformed answer is served normally", async () => {
    let calls = 0;
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(calls++ === 0 ? "oops" : completion("Recovered."));
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    expect((await proxy.post("/v1/messages", ask())).status).toBe(502);
    expect(await (await proxy.post("/v1/messages", ask())).json()).toMatchObject({ content: [{ type: "text", text: "Recovered." }] });
  });
});

describe("a stream that never ends a line: bounded, and the client's stream still ends", () => {
  it("a line past what max_tokens allows (1,490,944 characters for 1,024 tokens) is a clear error event, the rest of the body unread, the proxy unharmed", async () => {
    let closed = false;
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.on("close", () => (closed = true));
      res.write('data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\ndata: {"choices":[{"index":0,"delta":{"content":"');
      const chunk = Buffer.alloc(1024 * 1024, "a");
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on("drain", pump);
      pump();
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true })));
    expect(events.at(-1)).toEqual({
      type: "error",
      error: {
        type: "api_error",
        message: expect.stringMatching(
          /^The model server sent a malformed stream chunk: a line or event longer than 1,490,944 characters \(the rest of the stream was not read\)/,
        ),
      },
    });
    await expect.poll(() => closed).toBe(true);
    expectNoInternalError(proxy);
    expect((await proxy.fetch("/health")).status).toBe(200);
  });
});

describe("one stream event past what its request's answer can hold: a clear error event", () => {
  it("an event of more JSON values than any chunk holds (1 MB of empty objects), before JSON.parse builds them", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.end(`data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}],"x":[${"{},".repeat(350_000)}{}]}\n\ndata: [DONE]\n\n`);
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true })));
    expect(events.at(-1)).toEqual({
      type: "error",
      error: {
        type: "api_error",
        message: expect.stringMatching(
          /^The model server sent a malformed stream chunk: a chunk of more than 16,384 JSON values, which no answer's chunk holds/,
        ),
      },
    });
    expectNoInternalError(proxy);
  });

  it("text and arguments past max_tokens in one event end the answer at its bound, as max_tokens, the call not run", async () => {
    const bound = 1024 * 32 + 4096; // overrunChars(1024)
    const args = JSON.stringify({ file_path: "/tmp/x.txt", content: "a".repeat(bound) });
    // Text that is no loop (one is stopped as such, before the bound): every word differs.
    const prose = Array.from({ length: bound }, (_, i) => `w${i}`).join(" ");
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
      res.end(
        `${chunk({ role: "assistant", content: prose.slice(0, bound - 10) })}${chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: "Write", arguments: args } }] })}data: [DONE]\n\n`,
      );
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    const tools = [
      {
        name: "Write",
        description: "Write a file",
        input_schema: { type: "object", properties: { file_path: { type: "string" }, content: { type: "string" } }, required: ["file_path", "content"] },
      },
    ];
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true, tools })));
    expect(events.at(-1)).toEqual({ type: "message_stop" });
    expect(events.find((event) => event.type === "message_delta")).toMatchObject({ delta: { stop_reason: "max_tokens" } });
    expect(
      events.some((event) => event.type === "content_block_start" && (event as { content_block?: { type: string } }).content_block?.type === "tool_use"),
    ).toBe(false);
    expectNoInternalError(proxy);
  });
});

describe("connection failures", () => {
  it("a reset before any byte is 500 api_error (mlx-lm's way to refuse parameters), not 'not reachable'", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ failure: "reset-before-headers" });
    const body = await expectError(await proxy.post("/v1/messages", ask()), 500, "api_error", /closed the connection without answering/, "false");
    expect(body.error.message).not.toMatch(/not reachable/);
    await expectNextWorks(proxy);
  });

  // One classification (describe-backend-failure.ts: broke mid-answer → 502 api_error, retryable), told two ways.
  it("a connection that breaks mid-answer ends the stream with an api_error event, as an answer that ends before its finish does, and the next request works", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["a", "b", "c"], failure: "close-mid-stream", failAfterTokens: 2 });
    const events = await streamEvents(await proxy.post("/v1/messages", ask({ stream: true })));
    expect(events.at(-1)).toMatchObject({
      type: "error",
      error: { type: "api_error", message: expect.stringMatching(/closed the stream before the response was complete/) },
    });
    await expectNextWorks(proxy);
  });

  it("not streamed to the client (mallex streams it for its stop sequence), the same break is the table's 502 api_error with retry, not a 500", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["a", "b", "c"], failure: "close-mid-stream", failAfterTokens: 2 });
    await expectError(
      await proxy.post("/v1/messages", ask({ stop_sequences: ["NEVER"] })),
      502,
      "api_error",
      /closed the stream before the response was complete/,
      "true",
    );
    await expectNextWorks(proxy);
  });

  it("a retry mallex asks for (a forced call it checks whole) that breaks mid-answer is the same 502 api_error with retry", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const tools = [{ name: "lookup", input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } }];
    mlx.script({ text: "Ticket 42 is about a login bug." }, { text: ["a", "b", "c"], failure: "close-mid-stream", failAfterTokens: 2 });
    await expectError(
      await proxy.post("/v1/messages", ask({ tools, tool_choice: { type: "tool", name: "lookup" } })),
      502,
      "api_error",
      /closed the stream before the response was complete/,
      "true",
    );
    await expectNextWorks(proxy);
  });

  it("not streamed to the client, a chunked stream whose connection breaks is the same 502 with retry (llama-server's HTTP/1.1; mlx-lm's HTTP/1.0 stream just ends)", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `data: ${JSON.stringify({ id: "c", object: "chat.completion.chunk", created: 0, model: "m", choices: [{ index: 0, delta: { content: "a" } }] })}\n\n`,
      );
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    await expectError(await proxy.post("/v1/messages", ask({ stop_sequences: ["NEVER"] })), 502, "api_error", /^The model server failed: /, "true");
    expectNoInternalError(proxy);
  });
});

describe("a client that goes away ends the upstream request", () => {
  /** Posts with an AbortController, aborts once the backend has the request, and waits for the answer to settle. */
  async function abortOnceReceived(proxy: TestProxy, body: unknown, received: () => boolean) {
    const controller = new AbortController();
    const answer = proxy
      .fetch("/v1/messages", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" }, signal: controller.signal })
      .then((response) => response.text())
      .catch(() => "");
    await expect.poll(received, { timeout: 5000, interval: 10 }).toBe(true);
    controller.abort();
    await answer;
  }
  const slow = { text: Array<string>(400).fill(" word"), tokenDelayMs: 25 };
  const generations = () => mlx.requests.filter((r) => r.path.endsWith("/chat/completions")).length;

  for (const [mode, extra] of [
    ["streamed", { stream: true }],
    ["not streamed", {}],
    ["not streamed, with stop sequences (mallex streams it)", { stop_sequences: ["NEVER"] }],
  ] as const) {
    it(mode, async () => {
      const proxy = createTestProxy({ backendUrl: mlx.url });
      const before = generations();
      mlx.script(slow);
      await abortOnceReceived(proxy, ask(extra), () => generations() > before);
      await expectAbortSeen(() => lastGeneration().aborted);
      expect(proxy.logs.join("\n")).not.toMatch(/internal error/);
    });
  }

  it("not streamed, from a backend that sends its headers first and the body slowly", async () => {
    let written = 0;
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.flushHeaders();
      const timer = setInterval(() => res.write(" ", () => written++), 20);
      res.on("close", () => clearInterval(timer));
    });
    const proxy = createTestProxy({ backendUrl: raw.url });
    // Some of the body is out, so mallex holds the headers and is reading the body.
    await abortOnceReceived(proxy, ask(), () => written >= 3);
    await expectAbortSeen(() => raw!.aborted[0]);
  });

  it("collected from a stream, during the forced tool call mallex checks whole", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const before = generations();
    mlx.script(slow);
    const tools = [
      { name: "lookup", description: "Look a ticket up.", input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] } },
    ];
    await abortOnceReceived(proxy, ask({ stream: true, tools, tool_choice: { type: "tool", name: "lookup" } }), () => generations() > before);
    expect(lastGeneration().body).toMatchObject({ stream: true });
    await expectAbortSeen(() => lastGeneration().aborted);
  });

  it("over a real socket: a client that hangs up on a non-streamed request", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const server = createServer(toNodeHandler(createApp(proxy.ctx)));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const before = generations();
      mlx.script(slow);
      const client = httpRequest({
        port: (server.address() as AddressInfo).port,
        host: "127.0.0.1",
        path: "/v1/messages",
        method: "POST",
        headers: { "content-type": "application/json" },
      });
      client.on("error", () => undefined);
      client.end(JSON.stringify(ask()));
      await expect.poll(() => generations() > before, { timeout: 5000, interval: 10 }).toBe(true);
      client.destroy();
      await expectAbortSeen(() => lastGeneration().aborted);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe("the Anthropic API forward", () => {
  function claudeTable(timeoutMs: number, url: string): RoutingTable {
    const table = structuredClone(defaultTable);
    table.backends.anthropic!.baseUrl = url;
    table.backends.anthropic!.timeoutMs = timeoutMs;
    return table;
  }
  const env = { ANTHROPIC_API_KEY: "sk-real" };

  it("passes the API's own status through", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(429, { "content-type": "application/json", "retry-after": "12", "request-id": "req_api" });
      res.end(JSON.stringify({ type: "error", error: { type: "rate_limit_error", message: "Number of requests has exceeded your rate limit" } }));
    });
    const response = await createTestProxy({ backendUrl: mlx.url, table: claudeTable(30_000, raw.url), env }).post("/v1/messages", askClaude());
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("12");
    expect(((await response.json()) as ErrorBody).error.type).toBe("rate_limit_error");
  });

  it("a silent API: 529 before its headers, an overloaded_error event after them", async () => {
    let calls = 0;
    raw = await startRawBackend((_req, res) => {
      if (calls++ === 0) return; // nothing at all
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(
        `event: message_start\ndata: ${JSON.stringify({ type: "message_start", message: { id: "msg_1", type: "message", role: "assistant", content: [], model: "claude-sonnet-4-6", stop_reason: null, stop_sequence: null, usage: { input_tokens: 1, output_tokens: 0 } } })}\n\n`,
      );
    });
    const proxy = createTestProxy({ backendUrl: mlx.url, table: claudeTable(300, raw.url), env });
    await expectError(
      await proxy.post("/v1/messages", askClaude()),
      529,
      "overloaded_error",
      /^anthropic at \S+ sent no answer within 0\.3 s\. .*raise backends\.anthropic\.timeout_s in mallex\.yaml\.$/,
      "true",
    );
    const events = await streamEvents(await proxy.post("/v1/messages", askClaude({ stream: true })));
    expect(events.map((e) => e.type)).toEqual(["message_start", "error"]);
    expect(events.at(-1)!.error).toMatchObject({ type: "overloaded_error", message: expect.stringContaining("went silent for 0.3 s") });
    await expectAbortSeen(() => raw!.aborted[0] && raw!.aborted[1]);
  });

  it("a client that goes away ends the forwarded request", async () => {
    raw = await startRawBackend((_req, res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(": still thinking\n\n");
    });
    const proxy = createTestProxy({ backendUrl: mlx.url, table: claudeTable(30_000, raw.url), env });
    const controller = new AbortController();
    const response = await proxy.fetch("/v1/messages", {
      method: "POST",
      body: JSON.stringify(askClaude({ stream: true })),
      headers: { "content-type": "application/json" },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    controller.abort();
    await response.text().catch(() => "");
    await expectAbortSeen(() => raw!.aborted[0]);
  });
});
