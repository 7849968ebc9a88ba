import { describe, expect, it } from "vitest";
import type { CompiledProfile } from "../../src/compile/routing-table.js";
import { createRequestRecord, observeAnswer, onceEnded, type CallStart, type RequestTrace } from "../../src/observe/request-record.js";
import { formatRequestLog } from "../../src/observe/request-log.js";
import type { AnthropicMessage } from "../../src/translate/anthropic-types.js";
import type { TrimReport } from "../../src/trim/trim-types.js";

const trim: TrimReport = {
  rules: [],
  before: { chars: 77_000, tokens: 19_000 },
  after: { chars: 7_300, tokens: 1_900 },
  system: { mode: "template", template: "system-small", sections: [] },
  tools: { mode: "native", offered: ["Read"], client: [] },
  prefixTokens: 0,
  user: [],
};
const start: CallStart = { route: "claude-sonnet-4-6 → coder (default → medium)", charsIn: 77_000, charsOut: 7_300, trim, notes: [] };

/** A clock the test moves. */
function clock(at = 1_000) {
  const now = () => at;
  return { now, to: (ms: number) => void (at = ms) };
}

describe("a request's record", () => {
  it("writes the trace from what each step told it: the model asked for, the classifier, the route, the failure", () => {
    const trace: RequestTrace = { started: 1_000 };
    const record = createRequestRecord(trace, clock().now);
    const route = { profile: { name: "coder" } as CompiledProfile, reason: "default → medium", skipped: [] };
    record.happened({ type: "read", model: "claude-sonnet-4-6" });
    record.happened({ type: "classified", outcome: "cached" });
    record.happened({ type: "routed", route });
    record.happened({ type: "refused", message: "the model server is not reachable" });
    expect(trace).toEqual({ started: 1_000, model: "claude-sonnet-4-6", classifier: "cached", route, failure: "the model server is not reachable" });
    expect(record.trace).toBe(trace);
  });

  it("times a streamed call from the request's arrival: sent, the model's first token, the client's, its usage and stop, its end once", () => {
    const time = clock(1_000);
    const trace: RequestTrace = { started: 1_000 };
    const call = createRequestRecord(trace, time.now).startCall({ ...start, notes: ["thinking stripped"] });
    expect(trace.metrics).toBe(call.metrics);
    call.happened({ type: "sent", server: "http://127.0.0.1:8081", queuedMs: 250, loadingMs: 0, sentAt: 1_300 });
    time.to(2_300);
    call.happened({ type: "model-token" });
    time.to(2_400);
    call.happened({ type: "model-token" }); // later tokens change nothing
    const logged: string[] = [];
    const end = onceEnded(call, (metrics) => logged.push(formatRequestLog(metrics)));
    const observe = observeAnswer(call, end);
    observe({ type: "content_block_start", index: 0, content_block: { type: "text", text: "" } });
    time.to(2_500);
    observe({ type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "4" } });
    observe({
      type: "message_delta",
      delta: { stop_reason: "end_turn", stop_sequence: null },
      usage: { input_tokens: 1_500, cache_read_input_tokens: 400, output_tokens: 2 },
    });
    time.to(2_600);
    observe({ type: "message_stop" });
    end("client disconnected"); // after the end: nothing more
    expect(call.metrics).toEqual({
      ...start,
      route: "claude-sonnet-4-6 → coder (default → medium) on http://127.0.0.1:8081",
      notes: ["thinking stripped"],
      started: 1_000,
      queuedMs: 250,
      loadingMs: 0,
      sentAt: 1_300,
      modelTokenAt: 2_300,
      firstTokenAt: 2_400,
      stopReason: "end_turn",
      stopSequence: undefined,
      outputTokens: 2,
      promptTokens: 1_900,
      cachedTokens: 400,
      finishedAt: 2_600,
    });
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain("on http://127.0.0.1:8081");
    expect(logged[0]).toContain("queued 0.25 s");
  });

  it("keeps what mallex did to the answer: cuts, notes, calls made, repaired, dropped, retries; an error ends it once with its sentence", () => {
    const call = createRequestRecord({ started: 0 }, clock(10).now).startCall(start);
    call.happened({ type: "capped", cap: 512, note: "cut at 512 tokens" });
    call.happened({ type: "noted", note: "answer stopped: the model server's context is full" });
    call.happened({ type: "tool-call", call: { rejected: false, repairs: [] } });
    call.happened({ type: "tool-call", call: { rejected: false, repairs: ["tool name read_file → Read"] } });
    call.happened({ type: "calls-dropped", count: 1 });
    call.happened({ type: "retried", why: "forced-call" });
    call.happened({ type: "retried", why: "forced-call" });
    call.happened({ type: "retried", why: "unknown-call" });
    const end = onceEnded(call, () => undefined);
    observeAnswer(call, end)({ type: "error", error: { type: "api_error", message: "the backend's answer broke" } });
    end("later words");
    expect(call.metrics).toMatchObject({
      cutAtCap: 512,
      notes: ["cut at 512 tokens", "answer stopped: the model server's context is full"],
      toolCalls: { made: 2, repaired: 1, rejected: 1, repairs: ["tool name read_file → Read"] },
      forcedCallRetries: 2,
      unknownCallRetries: 1,
      error: "the backend's answer broke",
      finishedAt: 10,
    });
  });

  it("counts an answer read whole from its message: its first token at the start; streamed, only its stop (a Write made of it changes that)", () => {
    const message = {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [],
      stop_reason: "tool_use",
      stop_sequence: null,
      usage: { input_tokens: 100, cache_read_input_tokens: 20, output_tokens: 7 },
    } as unknown as AnthropicMessage;
    const whole = createRequestRecord({ started: 5 }, clock(50).now).startCall(start);
    whole.happened({ type: "answered-whole", message, streamed: false });
    expect(whole.metrics).toMatchObject({ firstTokenAt: 5, stopReason: "tool_use", outputTokens: 7, promptTokens: 120, cachedTokens: 20 });
    const streamed = createRequestRecord({ started: 5 }, clock(50).now).startCall(start);
    streamed.happened({ type: "answered-whole", message, streamed: true });
    const { notes: _none, ...begun } = start;
    expect(streamed.metrics).toEqual({ ...begun, started: 5, stopReason: "tool_use" });
  });
});
