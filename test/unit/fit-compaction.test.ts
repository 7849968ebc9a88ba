import { describe, expect, it } from "vitest";
import { COMPACTION_SYSTEM, fitCompaction, recognizeCompaction, renderTranscript } from "../../src/trim/fit-compaction-and-continuation.js";
import { measurePrompt } from "../../src/router/describe-request.js";
import type { AnthropicMessageParam, AnthropicTextBlock, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { request } from "../helpers/trim-helpers.js";

/** The instructions' shape (recognizeCompaction), not Claude Code's whole text: the test that runs the real CLI checks that. */
const INSTRUCTIONS =
  "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\n\nYour task is to create a detailed summary of the conversation so far.\n" +
  "Wrap it in a <summary> block. ".repeat(40);

/** `n` tool round trips of `size`-character results, then the compaction instructions. */
function compaction(n: number, size = 2000): MessagesRequest {
  const messages: AnthropicMessageParam[] = [{ role: "user", content: "Fix the failing test in src/a.ts" }];
  for (let i = 0; i < n; i++) {
    messages.push({
      role: "assistant",
      content: [
        { type: "text", text: `Reading part ${i}.` },
        { type: "tool_use", id: `t${i}`, name: "Read", input: { file_path: `/p/f${i}.ts` } },
      ],
    });
    messages.push({ role: "user", content: [{ type: "tool_result", tool_use_id: `t${i}`, content: `result ${i} `.repeat(size / 10) }] });
  }
  messages.push({ role: "assistant", content: "The newest answer: the bug is on line 12." });
  messages.push({ role: "user", content: [{ type: "text", text: INSTRUCTIONS }] });
  return request(messages, {
    tools: [{ name: "Read", description: "Read a file", input_schema: { type: "object" } }],
    system: "Claude Code's own prompt. ".repeat(100),
  });
}

const transcriptOf = (fitted: MessagesRequest) => (fitted.messages[0]!.content as AnthropicTextBlock[])[0]!.text;

describe("fitCompaction", () => {
  it("writes the conversation as a transcript with every call named beside its result, then the instructions as sent", () => {
    const input = compaction(2, 100);
    const at = recognizeCompaction(input)!;
    const fitted = fitCompaction(input, at, 100_000)!;
    expect(fitted.request.tools).toBeUndefined();
    expect(fitted.request.system).toBe(COMPACTION_SYSTEM);
    expect(fitted.request.messages).toHaveLength(1);
    expect((fitted.request.messages[0]!.content as AnthropicTextBlock[])[1]).toEqual({ type: "text", text: INSTRUCTIONS });
    const transcript = transcriptOf(fitted.request);
    expect(transcript).toContain('[assistant called Read]\n{"file_path":"/p/f0.ts"}\n\n[result of Read]\nresult 0');
    expect(transcript).toMatch(/\[assistant\]\nThe newest answer: the bug is on line 12\.\n<\/conversation>$/);
    expect(fitted.size).toEqual(measurePrompt(fitted.request));
  });

  it("cuts oldest first, only as far as the budget needs: the newest turn and the user's request stay whole while they can", () => {
    const input = compaction(12);
    const at = recognizeCompaction(input)!;
    const whole = fitCompaction(input, at, 100_000)!.size.tokens;
    const budget = Math.floor(whole * 0.6);
    const fitted = fitCompaction(input, at, budget)!;
    expect(fitted.size.tokens).toBeLessThanOrEqual(budget);
    const transcript = transcriptOf(fitted.request);
    expect(transcript).toContain("The newest answer: the bug is on line 12.");
    // The oldest result was cut, the newest one not.
    expect(transcript).toMatch(/\[result of Read\]\nresult 0 [^\n]*\n\[… \d+ chars cut by mallex …\]/);
    expect(transcript).toContain(`result 11 `.repeat(200).trim());
  });

  it("drops the oldest entries whole when cutting their bodies is not enough, and shortens the newest last", () => {
    const input = compaction(40);
    const at = recognizeCompaction(input)!;
    const alone = { ...input, messages: [input.messages.at(-1)!] };
    const instructionsOnly = fitCompaction(alone, recognizeCompaction(alone)!, 100_000)!.size.tokens;
    const fitted = fitCompaction(input, at, instructionsOnly + 60)!;
    expect(fitted.size.tokens).toBeLessThanOrEqual(instructionsOnly + 60);
    expect(transcriptOf(fitted.request)).toMatch(/^<conversation>\n\[… \d+ earlier parts of the conversation cut by mallex …\]/);
    expect(fitCompaction(input, at, instructionsOnly - 1)).toBeUndefined();
  });

  it("Claude Code's request to go on with a summary the output limit cut is the compaction still: fitted, the cut summary and each request to go on kept as sent", () => {
    const input = compaction(12);
    const cut = "<summary>\n1. Primary Request: fix the failing test in src/a.ts. 2. Key Concepts: ";
    const nudge =
      "Output token limit hit. Resume directly — no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.";
    // 2.1.332's third request: the whole summary again, shorter.
    const again = "Output token limit hit again, so this summary is too long to finish. Give the whole summary again in at most half the length.";
    const continued: MessagesRequest = {
      ...input,
      messages: [
        ...input.messages,
        { role: "assistant", content: [{ type: "text", text: cut }] },
        { role: "user", content: nudge },
        { role: "assistant", content: [{ type: "text", text: "3. Files: src/a.ts" }] },
        { role: "user", content: [{ type: "text", text: again }] },
      ],
    };
    const at = recognizeCompaction(continued)!;
    expect(at).toEqual({ instructionBlock: 0, instructionMessage: input.messages.length - 1 });
    const budget = Math.floor(fitCompaction(input, recognizeCompaction(input)!, 100_000)!.size.tokens * 0.6);
    const fitted = fitCompaction(continued, at, budget)!;
    expect(fitted.size.tokens).toBeLessThanOrEqual(budget);
    expect(fitted.request.messages.slice(1)).toEqual(continued.messages.slice(-4));
    expect((fitted.request.messages[0]!.content as AnthropicTextBlock[])[1]).toEqual({ type: "text", text: INSTRUCTIONS });
    expect(transcriptOf(fitted.request)).toContain("The newest answer: the bug is on line 12.");
    // Not a request to go on: the user's own turn after an answer is no compaction, nor an answer without the instructions before it.
    expect(recognizeCompaction({ messages: [...continued.messages.slice(0, -1), { role: "user", content: "thanks, go on" }] })).toBeUndefined();
    expect(
      recognizeCompaction({
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: cut },
          { role: "user", content: nudge },
        ],
      }),
    ).toBeUndefined();
  });

  it("in a small context, the cut summaries go as one piece kept to its tail: three of them left the instructions no room (refused at 4,096 tokens)", () => {
    const input = compaction(2, 200);
    const nudge =
      "Output token limit hit. Resume directly — no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.";
    const cut = (n: number) => `<summary>\n1. Primary Request and Intent: ${"the user asked for a fix. ".repeat(40)} (piece ${n})`;
    const messages: AnthropicMessageParam[] = [...input.messages];
    for (const n of [1, 2, 3]) messages.push({ role: "assistant", content: [{ type: "text", text: cut(n) }] }, { role: "user", content: nudge });
    const continued: MessagesRequest = { ...input, messages };
    const at = recognizeCompaction(continued)!;
    // The instructions and the three pieces as sent are over a budget the instructions and one tail fit in.
    const budget = Math.ceil((measurePrompt(fitCompaction(input, recognizeCompaction(input)!, 100_000)!.request).chars + 1200) / 3.5);
    expect(fitCompaction(continued, at, budget)).toBeUndefined();
    const fitted = fitCompaction(continued, at, budget, 896)!;
    expect(fitted.size.tokens).toBeLessThanOrEqual(budget);
    const [piece, goOn] = fitted.request.messages.slice(1);
    expect(fitted.request.messages).toHaveLength(3);
    expect((piece!.content as AnthropicTextBlock[])[0]!.text).toMatch(/^….*\(piece 3\)$/s);
    expect((piece!.content as AnthropicTextBlock[])[0]!.text).toHaveLength(897);
    expect(goOn).toEqual({ role: "user", content: nudge });
  });

  it("in a small context, the transcript is cut the same in the compaction's first request and in each request to go on: the server's cache holds it", () => {
    const input = compaction(12);
    const nudge =
      "Output token limit hit. Resume directly — no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.";
    const again = "Output token limit hit again, so this summary is too long to finish. Give the whole summary again in at most half the length.";
    const cut = (n: number) => `<summary>\n"1. Primary Request":\t${"the user asked for a fix. ".repeat(15 * n)} (piece ${n})`;
    const budget = Math.floor(fitCompaction(input, recognizeCompaction(input)!, 100_000)!.size.tokens * 0.6);
    const first = fitCompaction(input, recognizeCompaction(input)!, budget, 896)!;
    const messages: AnthropicMessageParam[] = [...input.messages];
    for (const [n, ask] of [
      [1, nudge],
      [2, nudge],
      [3, again],
    ] as const) {
      messages.push({ role: "assistant", content: [{ type: "text", text: cut(n) }] }, { role: "user", content: ask });
      const continued: MessagesRequest = { ...input, messages: [...messages] };
      const fitted = fitCompaction(continued, recognizeCompaction(continued)!, budget, 896)!;
      expect(fitted.size.tokens, `piece ${n}`).toBeLessThanOrEqual(budget);
      expect(fitted.request.messages[0], `piece ${n}`).toEqual(first.request.messages[0]);
      expect(fitted.request.messages.at(-1), `piece ${n}`).toEqual({ role: "user", content: ask });
    }
    // The room kept for them is what the transcript lost: the newest turn is still whole, the oldest result cut.
    expect(transcriptOf(first.request)).toContain("The newest answer: the bug is on line 12.");
    expect(transcriptOf(first.request)).toContain(`result 11 `.repeat(200).trim());
    // Without a tail to keep (a large context's, where the pieces go as sent), the first request has the room to itself.
    expect(transcriptOf(fitCompaction(input, recognizeCompaction(input)!, budget)!.request).length).toBeGreaterThan(transcriptOf(first.request).length);
  });

  it("a transcript of every block kind: thinking left out, an image named", () => {
    expect(
      renderTranscript([
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "hmm", signature: "s" },
            { type: "text", text: "ok" },
          ],
        },
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: "AAAA" } },
            { type: "tool_result", tool_use_id: "x", content: [{ type: "text", text: "boom" }], is_error: true },
          ],
        },
      ]),
    ).toEqual([
      { head: "[assistant]", body: "ok" },
      { head: "[user: an image]", body: "" },
      { head: "[result of a tool call, an error]", body: "boom" },
    ]);
  });
});
