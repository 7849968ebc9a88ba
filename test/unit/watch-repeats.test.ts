/**
 * An answer caught in a loop (issue 48): the 1.5B at temperature 0.2 wrote the same lines until the
 * 4,096-token cap, 300 s of a task's time. mallex stops it where its end is one piece written again
 * and again, and leaves every answer with a few equal lines alone.
 */
import { describe, expect, it } from "vitest";
import type { AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import { repetitionAtEnd, watchForRepeats, type Repetition } from "../../src/translate/model-text/watch-repeats.js";
import { collectStreamMessage } from "../../src/translate/stream/collect-stream-message.js";
import type { OpenAIChunk } from "../../src/translate/openai-types.js";
import type { TranslatorInput } from "../../src/translate/stream/stream-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import { baseOptions, createTestDeps, expectWellFormedStream, readTool, streamToArray, writeTool } from "../helpers/translate-helpers.js";

const LIMIT = { repeats: 4, chars: 600 };
const PARAGRAPH = "The function returns the sum of the list.\nIt handles the empty list by returning 0.\n\n"; // 85 characters

describe("repetitionAtEnd", () => {
  it("finds the piece an answer ends with, written again and again, and how often", () => {
    const text = `Here is the answer: ${PARAGRAPH.repeat(8)}`;
    expect(repetitionAtEnd(text, LIMIT)).toEqual({ period: PARAGRAPH.length, repeats: 8, chars: PARAGRAPH.length * 8 });
  });

  it("counts a last copy cut short as the loop's too", () => {
    const found = repetitionAtEnd(PARAGRAPH.repeat(8) + PARAGRAPH.slice(0, 30), LIMIT);
    expect(found).toEqual({ period: PARAGRAPH.length, repeats: 8, chars: PARAGRAPH.length * 8 + 30 });
  });

  it("is no loop under the limit: too few copies, or too few characters", () => {
    const long = "x = compute(a, b, c, d) + adjust(e, f) - offset(g)\n".repeat(3); // 3 copies, too few
    expect(repetitionAtEnd(`${"a\n".repeat(5)}${long}`, LIMIT)).toBeUndefined();
    expect(repetitionAtEnd(`# Title\n${"=".repeat(120)}\n`, LIMIT)).toBeUndefined(); // a rule, 120 characters
    expect(repetitionAtEnd("ok\n".repeat(150), LIMIT)).toBeUndefined(); // 450 characters
  });

  it("agrees with the definition, checked the slow way, on texts made of a few pieces in any order", () => {
    // The shortest period p whose copies at the end (p + the characters the end shares with the end p before it) are enough.
    const slow = (text: string, limit: { repeats: number; chars: number }): Repetition | undefined => {
      for (let period = 1; period * limit.repeats <= text.length; period++) {
        let chars = period;
        while (chars < text.length && text[text.length - 1 - chars] === text[text.length - 1 - chars + period]) chars++;
        if (chars >= period * limit.repeats && chars >= limit.chars) return { period, repeats: Math.floor(chars / period), chars };
      }
      return undefined;
    };
    const pieces = ["a", "ab", "ok\n", "x = 1;\n", "é", "🙂"];
    let seed = 7;
    const next = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 300; i++) {
      const loop = pieces[next(pieces.length)]!.repeat(1 + next(4));
      let text = "";
      while (text.length < 40 + next(200)) text += pieces[next(pieces.length)];
      text += loop.repeat(next(12));
      const limit = { repeats: 2 + next(4), chars: 1 + next(30) };
      expect(repetitionAtEnd(text, limit), JSON.stringify({ text, limit })).toEqual(slow(text, limit));
    }
  });

  it("looks at the end only: a loop the model left is no loop", () => {
    expect(repetitionAtEnd(`${PARAGRAPH.repeat(8)}So the answer is 6.`, LIMIT)).toBeUndefined();
  });

  it("leaves a real file alone, equal lines and all", () => {
    const file = [
      "import pytest",
      "",
      "",
      "def test_empty():",
      "    assert total([]) == 0",
      "",
      "",
      "def test_one():",
      "    assert total([1]) == 1",
      "",
      "",
      "def test_many():",
      "    assert total([1, 2, 3]) == 6",
      "    assert total([1, 2, 3]) == 6",
      "    assert total([1, 2, 3]) == 6",
      "",
    ].join("\n");
    expect(repetitionAtEnd(file, LIMIT)).toBeUndefined();
    expect(repetitionAtEnd(`\`\`\`python\n${file}\`\`\`\n`, LIMIT)).toBeUndefined();
  });

  it("finds a word loop as well as a paragraph's", () => {
    expect(repetitionAtEnd(`I will now ${"check the file and ".repeat(40)}`, LIMIT)).toMatchObject({ period: 19, repeats: 40 });
  });
});

describe("watchForRepeats", () => {
  it("finds the loop in an answer fed as tokens come, soon after it passes the limit, wherever the pieces split", () => {
    const answer = `Sure: ${PARAGRAPH.repeat(30)}`;
    for (const size of [1, 3, 7, 40, 200]) {
      const watcher = watchForRepeats(LIMIT);
      let fedChars = 0;
      let found: Repetition | undefined;
      for (let at = 0; at < answer.length && found === undefined; at += size) {
        const piece = answer.slice(at, at + size);
        fedChars += piece.length;
        found = watcher.feed(piece);
      }
      expect(found?.period).toBe(PARAGRAPH.length);
      // Found once 4 copies and 600 characters are there, within a check's 64 characters and a piece.
      const due = "Sure: ".length + Math.max(LIMIT.chars, LIMIT.repeats * PARAGRAPH.length);
      expect(fedChars).toBeGreaterThanOrEqual(due);
      expect(fedChars).toBeLessThanOrEqual(due + 64 + size);
    }
  });

  it("never finds one in an answer without a loop, however long", () => {
    const watcher = watchForRepeats(LIMIT);
    for (let line = 0; line < 2000; line++) expect(watcher.feed(`    values.append(${line} * factor)\n`)).toBeUndefined();
  });
});

describe("a streamed answer caught in a loop", () => {
  const chunk = (delta: Record<string, unknown>, finish: string | null = null): TranslatorInput => ({
    success: true,
    value: { choices: [{ index: 0, finish_reason: finish, delta: { role: "assistant", ...delta } }] } as OpenAIChunk,
  });
  const context = (onRepeats: (loop: Repetition) => void) => ({
    model: "claude-opus-4-8",
    tools: [writeTool],
    options: baseOptions,
    deps: createTestDeps(),
    maxTokens: 4096,
    stopRepeats: LIMIT,
    onRepeats,
  });

  it("ends max_tokens, never as a turn the model ended, the generation cancelled, the request told once", async () => {
    let pulled = 0;
    let cancelled = false;
    const endless = new ReadableStream<TranslatorInput>({
      pull(controller) {
        if (pulled++ === 0) return controller.enqueue(chunk({ content: "Let me explain.\n\n" }));
        controller.enqueue(chunk({ content: PARAGRAPH.slice(0, 40) }));
        controller.enqueue(chunk({ content: PARAGRAPH.slice(40) }));
      },
      cancel() {
        cancelled = true;
      },
    });
    const told: Repetition[] = [];
    const events: AnthropicStreamEvent[] = await streamToArray(endless.pipeThrough(createAnthropicStreamTranslator(context((loop) => told.push(loop)))));
    expectWellFormedStream(events);
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.stop_reason).toBe("max_tokens");
    const text = collected.message.content.map((block) => (block.type === "text" ? block.text : "")).join("");
    expect(text.startsWith(`Let me explain.\n\n${PARAGRAPH.repeat(4)}`)).toBe(true);
    expect(text.length).toBeLessThan(PARAGRAPH.length * 12);
    expect(collected.message.usage.output_tokens).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(20);
    expect(cancelled).toBe(true);
    expect(told).toEqual([expect.objectContaining({ period: PARAGRAPH.length })]);
  });

  it.each([
    ["in <tool_call> tags", (path: string) => `<tool_call>\n{"name": "Read", "arguments": {"file_path": "${path}"}}\n</tool_call>\n`],
    // The 1.5B's own: bare JSON lines, read as calls only once the answer ends; the line written again tells the loop.
    ["as bare JSON lines", (path: string) => `{"name": "Read", "arguments": {"file_path": "${path}"}}\n`],
  ])("a loop of calls %s: stopped at the first call written again, each call once, the turn's calls run", async (_, call) => {
    const loop = (call("/repo/client.js") + call("/repo/test.js")).repeat(20);
    let pulled = 0;
    const endless = new ReadableStream<TranslatorInput>({
      pull(controller) {
        // A token's worth at a time, as the model writes them.
        controller.enqueue(chunk({ content: loop.slice(pulled * 7, ++pulled * 7) }));
      },
    });
    const told: Repetition[] = [];
    const repeated: string[] = [];
    const ctx = {
      ...context((loop) => told.push(loop)),
      onRepeatedCall: (tool: string) => repeated.push(tool),
      tools: [readTool],
      options: { ...baseOptions, toolFormat: "hermes" as const },
    };
    const events = await streamToArray(endless.pipeThrough(createAnthropicStreamTranslator(ctx)));
    expectWellFormedStream(events);
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.content).toEqual([
      { type: "tool_use", id: expect.any(String), name: "Read", input: { file_path: "/repo/client.js" } },
      { type: "tool_use", id: expect.any(String), name: "Read", input: { file_path: "/repo/test.js" } },
    ]);
    expect(collected.message.stop_reason).toBe("tool_use");
    // Stopped at the first copy, before a loop of text would show (4 copies): told as a call written again.
    expect(repeated).toEqual(["Read"]);
    expect(told).toEqual([]);
    expect(pulled * 7).toBeLessThan(call("/repo/client.js").length * 3 + call("/repo/test.js").length);
  });

  it("an answer with a few equal lines goes through whole, as the model ended it", async () => {
    const lines = "    assert total([1, 2, 3]) == 6\n".repeat(3);
    const answer = new ReadableStream<TranslatorInput>({
      start(controller) {
        for (const piece of ["Here:\n\n```python\n", lines, "```\n"]) controller.enqueue(chunk({ content: piece }));
        controller.enqueue(chunk({}, "stop"));
        controller.close();
      },
    });
    const told: Repetition[] = [];
    const events = await streamToArray(answer.pipeThrough(createAnthropicStreamTranslator(context((loop) => told.push(loop)))));
    const collected = collectStreamMessage(events);
    if (!collected.ok) throw new Error(collected.error.message);
    expect(collected.message.content).toEqual([{ type: "text", text: `Here:\n\n\`\`\`python\n${lines}\`\`\`\n` }]);
    expect(told).toEqual([]);
  });
});
