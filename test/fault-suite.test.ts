/**
 * Backends that die, seen through the official Anthropic SDK (its own SSE parsing and error classes
 * are part of the test) and the real `mallex proxy` process, in front of a scripted backend process a
 * test SIGKILLs at a known point: mid tool call (native deltas and text markup), before its headers,
 * and a backend that goes down and comes back. Also malformed chunks mid-stream. Each time the client
 * gets an error (event or status) with a sentence, the answer ends in bounded time, and the next
 * request works. test/backend-faults.test.ts covers the same faults one layer down (in-process app,
 * one at a time); this file does not repeat it.
 */
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { startScriptedBackend, type ScenarioStep, type ScriptedBackendProcess } from "./helpers/scripted-backend-process.js";

/** How long an answer may take to end once its backend is gone (the proxy reacts at once; this is slack). */
const ENDS_WITHIN_MS = 5000;

const chunk = (delta: object, finish: string | null = null) => ({
  chunk: { id: "chatcmpl-1", object: "chat.completion.chunk", created: 0, model: "scripted", choices: [{ index: 0, delta, finish_reason: finish }] },
});
const toolDelta = (fn: object, extra: object = {}) => chunk({ tool_calls: [{ index: 0, ...extra, function: fn }] });

const SCENARIOS: Record<string, ScenarioStep[]> = {
  // An OpenAI-style server streams a call's arguments in pieces: killed halfway through them.
  "native-call-killed": [
    chunk({ role: "assistant", content: "Let me look." }),
    toolDelta({ name: "Read", arguments: "" }, { id: "call_1", type: "function" }),
    toolDelta({ arguments: '{"file_' }),
    { mark: "mid-call" },
    { hang: true },
  ],
  // mlx-lm leaks Qwen's markup as content: killed inside the <tool_call> block.
  "markup-call-killed": [
    chunk({ role: "assistant", content: "Checking. " }),
    chunk({ content: "<tool_call>\n" }),
    chunk({ content: '{"name": "Read", "arguments": {"file_' }),
    { mark: "mid-markup" },
    { hang: true },
  ],
  // The request arrived; no byte of an answer yet.
  "killed-before-headers": [{ mark: "received" }, { hang: true }],
  // Text, then chunks that are not what an OpenAI stream carries, then more text and a clean end.
  "not-json-chunk": [
    chunk({ role: "assistant", content: "Part one. " }),
    { write: "data: {this is not json\n\n" },
    chunk({ content: "Part two." }),
    chunk({}, "stop"),
    { done: true },
  ],
  "wrong-shape-chunk": [
    chunk({ role: "assistant", content: "Part one. " }),
    { write: 'data: {"choices": "none"}\n\n' },
    chunk({ content: "Part two." }),
    chunk({}, "stop"),
    { done: true },
  ],
  "binary-chunk": [
    chunk({ role: "assistant", content: "Part one. " }),
    { write: "data: \u0000\u00ff\u0001\ufffd\n\n" },
    chunk({ content: "Part two." }),
    chunk({}, "stop"),
    { done: true },
  ],
  "error-object-chunk": [
    chunk({ role: "assistant", content: "Part one. " }),
    { write: `data: ${JSON.stringify({ error: { message: "CUDA out of memory", type: "server_error" } })}\n\n` },
    { hang: true },
  ],
};

const READ = {
  name: "Read",
  description: "Read a file.",
  input_schema: { type: "object" as const, properties: { file_path: { type: "string" } }, required: ["file_path"] },
};
const ask = (scenario: string) => ({
  model: "claude-opus-4-8",
  max_tokens: 256,
  tools: [READ],
  messages: [{ role: "user" as const, content: `Please go on. scenario:${scenario}` }],
});

let backend: ScriptedBackendProcess;
let proxy: MallexProxyProcess;
let client: Anthropic;

beforeAll(async () => {
  backend = await startScriptedBackend(SCENARIOS);
  proxy = await startProxyProcess(["--backend-url", backend.url], undefined, { ANTHROPIC_API_KEY: "" });
  client = new Anthropic({ baseURL: proxy.url, apiKey: "local", maxRetries: 0 });
}, 30_000);
afterEach(async () => {
  // A test that killed the backend brings one back on the same port (what a restarted server does).
  if (!isAlive(backend.pid)) await revive();
});
afterAll(async () => {
  await proxy?.stop();
  await backend?.kill();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Streams `scenario` with the SDK; `during` runs meanwhile (e.g. kills the backend), seeing the events so far. */
async function streamOutcome(scenario: string, during?: (events: readonly Anthropic.MessageStreamEvent[]) => Promise<void>) {
  const events: Anthropic.MessageStreamEvent[] = [];
  const stream = client.messages.stream(ask(scenario));
  const consumed = (async () => {
    for await (const event of stream) events.push(event);
  })().then(
    () => undefined,
    (error: unknown) => error,
  );
  await during?.(events);
  const started = Date.now();
  const error = await consumed;
  return { events, error, endedAfterMs: Date.now() - started };
}

/** A sentence: words, not a bare code or a stack. */
function expectSentence(message: string) {
  expect(message).toMatch(/[A-Za-z]+ [a-z]+ [a-z]+/);
  expect(message).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

/** The error event the SDK raised: an APIError whose body is Anthropic's error object. */
function expectStreamError(error: unknown, type: string | RegExp) {
  expect(error).toBeInstanceOf(Anthropic.APIError);
  const body = (error as InstanceType<typeof Anthropic.APIError>).error as { type: string; error: { type: string; message: string } };
  expect(body.type).toBe("error");
  expect(body.error.type).toMatch(type);
  expectSentence(body.error.message);
  return body.error.message;
}

/** A killed backend started again on its port, as a restarted server would be. */
async function revive() {
  backend = await startScriptedBackend(SCENARIOS, backend.port);
}

async function expectNextRequestWorks() {
  const message = await client.messages.create({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user", content: "next one" }] });
  expect(message.content).toEqual([{ type: "text", text: "ok: next one", citations: null }].map(({ citations: _, ...block }) => block));
  const streamed = await client.messages
    .stream({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user", content: "and streamed" }] })
    .finalMessage();
  expect(streamed.content).toMatchObject([{ type: "text", text: "ok: and streamed" }]);
}

describe("a backend killed mid tool call", () => {
  it("native tool_calls deltas: an api_error event, no half call reaches the client as a tool_use, the stream ends at once", async () => {
    const outcome = await streamOutcome("native-call-killed", async (events) => {
      await backend.mark("mid-call");
      // The text before the call has reached the client: the kill cuts the answer, not the request.
      await expect.poll(() => events.length).toBeGreaterThan(0);
      await backend.kill();
    });
    const message = expectStreamError(outcome.error, "api_error");
    expect(message).toMatch(/mlx/);
    expect(outcome.endedAfterMs).toBeLessThan(ENDS_WITHIN_MS);
    expect(outcome.events[0]?.type).toBe("message_start");
    // What was said before the call came through; the message never claims to be complete.
    expect(outcome.events.filter((e) => e.type === "message_stop" || e.type === "message_delta")).toEqual([]);
    await revive();
    await expectNextRequestWorks();
  });

  it("text markup (<tool_call> as content): an api_error event, no raw markup shown as text, the stream ends at once", async () => {
    const outcome = await streamOutcome("markup-call-killed", async (events) => {
      await backend.mark("mid-markup");
      await expect.poll(() => events.length).toBeGreaterThan(0);
      await backend.kill();
    });
    expectStreamError(outcome.error, "api_error");
    expect(outcome.endedAfterMs).toBeLessThan(ENDS_WITHIN_MS);
    const shown = outcome.events.flatMap((e) => (e.type === "content_block_delta" && e.delta.type === "text_delta" ? [e.delta.text] : [])).join("");
    expect(shown).not.toContain("<tool_call>");
    expect(shown).not.toContain('"arguments"');
    await revive();
    await expectNextRequestWorks();
  });
});

describe("a backend killed before its headers", () => {
  it("streamed: the SDK gets an error status with a sentence, at once", async () => {
    const started = Date.now();
    const outcome = streamOutcome("killed-before-headers");
    await backend.mark("received");
    await backend.kill();
    const { error } = await outcome;
    expect(Date.now() - started).toBeLessThan(ENDS_WITHIN_MS + 1000);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBeGreaterThanOrEqual(500);
    expect(apiError.requestID).toMatch(/^req_/);
    expectSentence((apiError.error as { error: { message: string } }).error.message);
    await revive();
    await expectNextRequestWorks();
  });

  it("not streamed: the same, through messages.create", async () => {
    const answer = client.messages.create(ask("killed-before-headers")).then(
      () => undefined,
      (error: unknown) => error,
    );
    await backend.mark("received");
    await backend.kill();
    const error = await answer;
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expectSentence(((error as InstanceType<typeof Anthropic.APIError>).error as { error: { message: string } }).error.message);
    await revive();
    await expectNextRequestWorks();
  });
});

describe("malformed chunks mid-stream", () => {
  for (const scenario of ["not-json-chunk", "wrong-shape-chunk", "binary-chunk", "error-object-chunk"]) {
    it(`${scenario}: the SDK sees an error event with a sentence (never a parse failure of its own), the stream ends, the next request works`, async () => {
      const outcome = await streamOutcome(scenario);
      expect(outcome.endedAfterMs).toBeLessThan(ENDS_WITHIN_MS);
      expectStreamError(outcome.error, /^(api_error|invalid_request_error|overloaded_error)$/);
      await expectNextRequestWorks();
    });
  }
});

describe("a backend that goes down and comes back", () => {
  it("answers, is killed (503 'not reachable' with what to do, not retried by the SDK), restarts on its port, and answers again", async () => {
    await expectNextRequestWorks();
    await backend.kill();
    const down = await client.messages.create({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user", content: "anyone there?" }] }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(down).toBeInstanceOf(Anthropic.APIError);
    const apiError = down as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(503);
    expect(apiError.headers?.get("x-should-retry")).toBe("false");
    const message = (apiError.error as { error: { message: string } }).error.message;
    expectSentence(message);
    expect(message).toMatch(/not reachable/);
    // A streamed request to the dead backend fails the same way, before any event.
    await expect(
      client.messages.stream({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user", content: "anyone?" }] }).finalMessage(),
    ).rejects.toMatchObject({ status: 503 });
    await revive();
    await expectNextRequestWorks();
    expect(proxy.output()).not.toMatch(/internal error|mallex failed/);
  });
});
