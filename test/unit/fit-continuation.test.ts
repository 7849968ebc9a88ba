import { beforeAll, describe, expect, it } from "vitest";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";
import type { Templates } from "../../src/templates/load-templates.js";
import { recognizeContinuation } from "../../src/router/continued-request.js";
import type { AnthropicMessageParam, AnthropicTextBlock, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { outputCapNote } from "../../src/translate/output-cap-note.js";
import { fitContinuation } from "../../src/trim/fit-compaction-and-continuation.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

const GO_ON =
  "Output token limit hit. Resume directly \u2014 no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened. Break remaining work into smaller pieces.";
const NOTE = outputCapNote(256, "tiny", 4096);

const asked: AnthropicMessageParam[] = [{ role: "user", content: [{ type: "text", text: "Write a long essay about the number 1." }] }];
const piece = (text: string): AnthropicMessageParam => ({ role: "assistant", content: [{ type: "text", text: `${text}${NOTE}` }] });
const goOn = (text = GO_ON): AnthropicMessageParam => ({ role: "user", content: [{ type: "text", text }] });
const textOf = (message: AnthropicMessageParam | undefined) => (message?.content as AnthropicTextBlock[])[0]!.text;

describe("fitContinuation", () => {
  it("makes the cut answer's pieces one assistant turn, without mallex's notes, then Claude Code's last request to go on as sent", () => {
    const last = goOn(`${GO_ON} `);
    const messages = [...asked, piece("One is the first "), goOn(), piece("number, and the loneliest."), last];
    const fitted = fitContinuation(messages, recognizeContinuation(messages)!, 10_000)!;
    expect(fitted.messages).toEqual([...asked, { role: "assistant", content: [{ type: "text", text: "One is the first number, and the loneliest." }] }, last]);
    expect(fitted.charsRemoved).toBe(JSON.stringify(messages.slice(1)).length - JSON.stringify(fitted.messages.slice(1)).length);
    expect(fitted.charsRemoved).toBeGreaterThan(2 * NOTE.length);
  });

  it("keeps only the answer's tail when it is longer: what the model needs to pick up mid-thought", () => {
    const messages = [...asked, piece("a".repeat(500)), goOn(), piece(`${"b".repeat(300)}the end so far`), goOn()];
    const fitted = fitContinuation(messages, recognizeContinuation(messages)!, 100)!;
    const kept = textOf(fitted.messages[1]);
    expect(kept).toBe(`…${"b".repeat(86)}the end so far`);
    expect(fitted.messages).toHaveLength(3);
  });

  it("never starts the tail inside a surrogate pair", () => {
    const messages = [...asked, piece("x😀".repeat(50)), goOn()];
    // The last 4 code units start on the second half of an emoji: the tail starts after it.
    expect(textOf(fitContinuation(messages, recognizeContinuation(messages)!, 4)!.messages[1])).toBe("…x😀");
    expect(textOf(fitContinuation(messages, recognizeContinuation(messages)!, 5)!.messages[1])).toBe("…😀x😀");
  });

  it("leaves the thinking out, and an answer with a tool call as it came (undefined)", () => {
    const thought: AnthropicMessageParam = {
      role: "assistant",
      content: [
        { type: "thinking", thinking: "hmm", signature: "" },
        { type: "text", text: "words" },
      ],
    };
    const messages = [...asked, thought, goOn()];
    expect(textOf(fitContinuation(messages, recognizeContinuation(messages)!, 100)!.messages[1])).toBe("words");
    const call: AnthropicMessageParam = { role: "assistant", content: [{ type: "tool_use", id: "t", name: "Write", input: {} }] };
    expect(fitContinuation([...asked, call, goOn()], { answerStart: 1 }, 100)).toBeUndefined();
  });
});

describe("trimRequest: Claude Code's request to go on with a cut answer", () => {
  let table: RoutingTable;
  let templates: Templates;
  beforeAll(async () => ({ table, templates } = await loadShipped()));

  /** A Claude Code request (its metadata says so) on `profile` with a context of `context` tokens. */
  const trim = (messages: AnthropicMessageParam[], context: number) => {
    const base = firstProfileOfSize(table, "medium");
    const profile: CompiledProfile = { ...base, contextWindow: context, inputBudget: Math.floor(context * 0.75) };
    const request: MessagesRequest = { model: "m", max_tokens: 32000, metadata: { user_id: JSON.stringify({ device_id: "d", session_id: "s" }) }, messages };
    return trimRequest(request, trimPlanFor(table, profile), templates);
  };
  const essay = (n: number) => `Paragraph ${n} of the essay, which goes on. `.repeat(40);

  it("in a small context, keeps the answer's tail (a sixteenth of the context) and says so: each request to go on is the size of the first", () => {
    const first = trim([...asked, piece(essay(1)), goOn()], 4096);
    const third = trim([...asked, piece(essay(1)), goOn(), piece(essay(2)), goOn(), piece(essay(3)), goOn()], 4096);
    for (const fitted of [first, third]) {
      expect(fitted.ok).toBe(true);
      expect(fitted.request.messages).toHaveLength(3);
      // 256 tokens' room, at 3.5 characters each, after the gap mark.
      expect(textOf(fitted.request.messages[1]).length).toBe(1 + 896);
      expect(fitted.report.rules.find((hit) => hit.rule === "continuation")).toMatchObject({ target: "messages.1" });
    }
    expect(textOf(third.request.messages[1])).toMatch(/Paragraph 3 of the essay, which goes on. $/);
    expect(third.report.after.chars).toBe(first.report.after.chars);
    // What Claude Code's next turn carries again, every piece in it, is what the next piece's cap counts (profileForAnswer).
    const removed = third.report.rules.find((hit) => hit.rule === "continuation")!.charsRemoved;
    expect(third.report.continuation).toEqual({ carriedTokens: Math.ceil((third.report.after.chars + removed) / 3.5) });
    expect(third.report.continuation!.carriedTokens).toBeGreaterThan(first.report.continuation!.carriedTokens);
  });

  it("in a context that is not small, sends it as it came", () => {
    const messages = [...asked, piece(essay(1)), goOn(), piece(essay(2)), goOn()];
    const trimmed = trim(messages, 65536);
    expect(trimmed.request.messages).toHaveLength(5);
    expect(trimmed.report.rules.some((hit) => hit.rule === "continuation")).toBe(false);
  });

  it("a compaction's request to go on with a cut summary is fitted the same way: where it then fits, it goes as Claude Code's own, the first request's prompt first", () => {
    const instructions: AnthropicMessageParam = {
      role: "user",
      content: [
        {
          type: "text",
          text: "CRITICAL: Respond with TEXT ONLY. Do NOT call any tools.\nYour task is to create a detailed summary of the conversation so far. <summary>",
        },
      ],
    };
    const compaction = [...asked, { role: "assistant" as const, content: "An essay." }, instructions];
    const first = trim(compaction, 4096);
    const trimmed = trim([...compaction, piece(`<summary>The user ${"asked ".repeat(400)}`), goOn(), piece("for an essay."), goOn()], 4096);
    expect(trimmed.report.compaction).toEqual({ carriedTokens: expect.any(Number), rewritten: false });
    expect(trimmed.request.messages.slice(0, 3)).toEqual(first.request.messages);
    // Claude Code asks to go on 3 times at most: the third is the last piece of this summary it asks for.
    const third = trim([...compaction, piece("<summary>The user"), goOn(), piece(" asked"), goOn(), piece(" for"), goOn()], 4096);
    expect(third.report.compaction).toMatchObject({ lastPiece: true });
    expect(trimmed.request.messages).toHaveLength(5);
    expect(textOf(trimmed.request.messages[3])).toMatch(/^….*asked for an essay\.$/s);
    expect(trimmed.report.rules.find((hit) => hit.rule === "continuation")).toMatchObject({ target: "messages.3" });
  });
});
