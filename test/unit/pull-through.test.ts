/**
 * pullThrough gives what pipeThrough(new TransformStream(transformer)) gives: the same chunks, the
 * same end on terminate (the source cancelled), the same error on a throw, nothing read ahead.
 */
import { describe, expect, it } from "vitest";
import { pullThrough, type StreamTransformer } from "../../src/translate/pull-through.js";

function source(items: number[]) {
  const state = { pulled: 0, cancelled: false as boolean | unknown };
  const stream = new ReadableStream<number>(
    {
      pull(controller) {
        if (state.pulled >= items.length) return controller.close();
        controller.enqueue(items[state.pulled++]!);
      },
      cancel(reason) {
        state.cancelled = reason ?? true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, state };
}

async function readAll<T>(stream: ReadableStream<T>): Promise<{ chunks: T[]; error?: unknown }> {
  const chunks: T[] = [];
  try {
    for await (const chunk of stream) chunks.push(chunk);
    return { chunks };
  } catch (error) {
    return { chunks, error };
  }
}

// Drops odd numbers, doubles even ones, says hello first and goodbye at the end; stops at 7, throws at 9.
const transformer = (): StreamTransformer<number, string> => ({
  start: (controller) => controller.enqueue("hello"),
  transform(n, controller) {
    if (n === 9) throw new Error("nine");
    if (n === 7) return controller.terminate();
    if (n % 2 === 0) controller.enqueue(String(n * 2));
  },
  flush: (controller) => controller.enqueue("goodbye"),
});

describe("pullThrough", () => {
  it.each([
    ["every chunk, then flush", [1, 2, 3, 4, 5, 6]],
    ["terminate", [2, 3, 7, 8, 10]],
    ["a throw", [2, 9, 4]],
    ["an empty source", []],
  ])("gives what a TransformStream gives: %s", async (_name, items) => {
    const piped = source(items);
    const pulled = source(items);
    const expected = await readAll(piped.stream.pipeThrough(new TransformStream(transformer())));
    const actual = await readAll(pullThrough(pulled.stream, transformer()));
    expect(actual.chunks).toEqual(expected.chunks);
    expect(String(actual.error)).toBe(String(expected.error));
    expect(pulled.state.cancelled !== false).toBe(piped.state.cancelled !== false);
  });

  it("reads nothing ahead of the consumer, and a cancel reaches the source", async () => {
    const { stream, state } = source([2, 4, 6, 8]);
    const reader = pullThrough(stream, transformer()).getReader();
    expect(await reader.read()).toEqual({ done: false, value: "hello" });
    expect(state.pulled).toBe(0);
    expect(await reader.read()).toEqual({ done: false, value: "4" });
    expect(state.pulled).toBe(1);
    await reader.cancel("bye");
    expect(state.cancelled).toBe("bye");
  });
});
