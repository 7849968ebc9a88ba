/**
 * The server's push pipeline from a backend's SSE body to the client's events, on a PassThrough
 * standing in for node:http's body: how it ends, fails, waits and lets go of the body.
 */
import { PassThrough } from "node:stream";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ANSWER_SLICE_MS } from "../../src/pipeline/gate-answer-body.js";
import { pumpAnswer, startAnswer, type AnswerSink } from "../../src/pipeline/pump-answer.js";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { createAnthropicStreamTransformer } from "../../src/translate/stream/translate-openai-stream.js";
import { baseOptions, createTestDeps } from "../helpers/translate-helpers.js";

const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;

/** A read failure as the server's classification would tell it: here, its own sentence, retryable. */
const readFailure = (error: unknown) => ({ type: "overloaded_error" as const, message: `broke: ${(error as Error).message}` });

function pump(options: { pingIntervalMs?: number; flushes?: () => boolean; stopSequences?: string[]; now?: () => number } = {}) {
  const body = new PassThrough();
  const events: AnthropicStreamEvent[] = [];
  const ended = vi.fn();
  const failed = vi.fn();
  const sink: AnswerSink = { event: (event) => void events.push(event), flush: options.flushes ?? (() => true), end: ended, error: failed };
  const transformer = createAnthropicStreamTransformer({
    model: "claude-x",
    tools: undefined,
    options: baseOptions,
    deps: createTestDeps(),
    stopSequences: options.stopSequences,
  });
  const handle = pumpAnswer(
    { body, readFailure, pingIntervalMs: options.pingIntervalMs ?? 60_000, transformer, ...(options.now ? { now: options.now } : {}) },
    sink,
  );
  const types = () => events.map((event) => event.type);
  return { body, events, types, ended, failed, handle };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("pumpAnswer", () => {
  afterEach(() => vi.useRealTimers());

  it("ends the answer at [DONE], before the body ends, and reads the rest without destroying it", async () => {
    const { body, types, ended } = pump();
    body.write(chunk({ content: "4" }));
    body.write(`${chunk({}, "stop")}data: [DONE]\n\n`);
    await tick();
    expect(types()).toEqual(["message_start", "ping", "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(ended).toHaveBeenCalledTimes(1);
    body.end('data: {"late": true}\n\n');
    await tick();
    expect(body.readableEnded).toBe(true);
    expect(body.errored).toBeNull(); // read to its end, not destroyed: a kept-alive connection stays usable
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("sends the error event its source classifies a read failure as, when the body breaks before the answer is complete", async () => {
    const { body, events, ended } = pump();
    body.write(chunk({ content: "par" }));
    await tick();
    body.destroy(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    await tick();
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "overloaded_error", message: "broke: socket hang up" } });
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("pings while the backend is silent (a long prefill), and stops once the answer ended", async () => {
    vi.useFakeTimers();
    const { body, types } = pump({ pingIntervalMs: 100 });
    vi.advanceTimersByTime(250);
    expect(types()).toEqual(["message_start", "ping", "ping", "ping"]);
    body.end(`${chunk({ content: "ok" }, "stop")}data: [DONE]\n\n`);
    vi.useRealTimers();
    await tick();
    const count = types().length;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(types()).toHaveLength(count);
  });

  it("pauses the body while the sink is full and reads on after resume()", async () => {
    let room = false;
    const { body, handle, types } = pump({ flushes: () => room });
    body.write(chunk({ content: "a" }));
    await tick();
    expect(body.isPaused()).toBe(true);
    room = true;
    handle.resume();
    body.write(`${chunk({ content: "b" }, "stop")}data: [DONE]\n\n`);
    await tick();
    expect(types().at(-1)).toBe("message_stop");
  });

  it("lets the event loop have a turn once it has read the body for a time slice, and reads on in the next turn", async () => {
    let clock = 0;
    const { body, events } = pump({ now: () => clock });
    const texts = () => events.flatMap((event) => (event.type === "content_block_delta" && event.delta.type === "text_delta" ? [event.delta.text] : []));
    body.write(chunk({ content: "a" }));
    clock = ANSWER_SLICE_MS; // the second piece of the same turn ends the slice
    body.write(chunk({ content: "b" }));
    expect(body.isPaused()).toBe(true);
    body.write(chunk({ content: "c" }));
    expect(texts()).toEqual(["a", "b"]); // "c" waits for the next turn
    await tick();
    expect(texts()).toEqual(["a", "b", "c"]);
    expect(body.isPaused()).toBe(false);
  });

  it("keeps the body paused for a full sink after its time slice ends, until resume()", async () => {
    let clock = 0;
    let room = true;
    const { body, handle, events } = pump({ now: () => clock, flushes: () => room });
    body.write(chunk({ content: "a" }));
    clock = ANSWER_SLICE_MS;
    room = false;
    body.write(chunk({ content: "b" }));
    await tick();
    await tick();
    expect(body.isPaused()).toBe(true); // the slice's end does not undo the client's backpressure
    body.write(`${chunk({ content: "c" }, "stop")}data: [DONE]\n\n`);
    await tick();
    expect(events.at(-1)?.type).not.toBe("message_stop");
    room = true;
    handle.resume();
    await tick();
    expect(events.at(-1)?.type).toBe("message_stop");
  });

  it("lets the body go at a stop sequence (the generation upstream stops) and when the client cancels", async () => {
    const stopped = pump({ stopSequences: ["STOP"] });
    stopped.body.write(chunk({ content: "one STOP two" }));
    await tick();
    expect(stopped.events.at(-2)).toMatchObject({ type: "message_delta", delta: { stop_reason: "stop_sequence", stop_sequence: "STOP" } });
    expect(stopped.body.destroyed).toBe(true);

    const cancelled = pump();
    cancelled.body.write(chunk({ content: "a" }));
    await tick();
    cancelled.handle.cancel();
    expect(cancelled.body.destroyed).toBe(true);
    expect(cancelled.ended).not.toHaveBeenCalled();
  });
});

describe("startAnswer", () => {
  afterEach(() => vi.useRealTimers());

  function begin() {
    const events: AnthropicStreamEvent[] = [];
    const ended = vi.fn();
    const sink: AnswerSink = { event: (event) => void events.push(event), flush: () => true, end: ended, error: vi.fn() };
    const transformer = createAnthropicStreamTransformer({
      model: "claude-x",
      tools: undefined,
      options: baseOptions,
      deps: createTestDeps(),
      stopSequences: undefined,
    });
    const answer = startAnswer({ pingIntervalMs: 100, transformer }, sink);
    return { answer, ended, types: () => events.map((event) => event.type), events };
  }

  it("pings until the backend's body is attached, then streams it into the same answer", async () => {
    vi.useFakeTimers();
    const { answer, types, ended } = begin();
    vi.advanceTimersByTime(250);
    expect(types()).toEqual(["message_start", "ping", "ping", "ping"]);
    vi.useRealTimers();
    const body = new PassThrough();
    answer.attach({ body, readFailure });
    body.end(`${chunk({ content: "ok" }, "stop")}data: [DONE]\n\n`);
    await tick();
    expect(types().slice(4)).toEqual(["content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop"]);
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("ends with the error event it is given when the backend cannot be reached, and pings no more", () => {
    vi.useFakeTimers();
    const { answer, events, ended, types } = begin();
    answer.fail({ type: "overloaded_error", message: "Backend mlx is busy." });
    vi.advanceTimersByTime(500);
    expect(types()).toEqual(["message_start", "ping", "error"]);
    expect(events.at(-1)).toEqual({ type: "error", error: { type: "overloaded_error", message: "Backend mlx is busy." } });
    expect(ended).toHaveBeenCalledTimes(1);
  });

  it("lets go of a body that arrives after the client went away", () => {
    const { answer, ended } = begin();
    answer.cancel();
    const body = new PassThrough();
    answer.attach({ body, readFailure });
    expect(body.destroyed).toBe(true);
    expect(ended).not.toHaveBeenCalled();
  });
});
