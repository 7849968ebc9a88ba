import { describe, expect, it } from "vitest";
import type { AnthropicMessageParam, AnthropicToolResultBlock, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { createTemplates } from "../../src/templates/create-templates.js";
import { fitToBudget, shortenMiddle } from "../../src/trim/fit-to-budget.js";
import { measurePrompt } from "../../src/router/describe-request.js";
import { TrimError } from "../../src/trim/trim-error.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import { request, testPlan, testProfile } from "../helpers/trim-helpers.js";
import { contextFix, largerContext } from "../../src/shared/context/context-fix.js";

describe("shortenMiddle", () => {
  it("keeps 60% head and 40% tail around a marker, within the limit", () => {
    const cut = shortenMiddle("a".repeat(100), 60);
    expect(cut).toBe(`${"a".repeat(17)}\n[… 71 chars cut by mallex …]\n${"a".repeat(12)}`);
    expect(cut.length).toBeLessThanOrEqual(60);
    expect(shortenMiddle("short", 60)).toBe("short");
  });

  it("cuts at line breaks when one is near", () => {
    const text = Array.from({ length: 20 }, (_, i) => `line ${String(i).padStart(2, "0")}`).join("\n");
    expect(shortenMiddle(text, 90)).toBe("line 00\nline 01\nline 02\nline 03\n[… 105 chars cut by mallex …]\nline 17\nline 18\nline 19");
  });

  it("never splits a surrogate pair", () => {
    const cut = shortenMiddle("😀".repeat(60), 61);
    expect(cut).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/);
  });
});

/** A conversation of `n` tool round trips, each result `size` characters. */
function conversation(n: number, size = 3000): MessagesRequest {
  const messages: AnthropicMessageParam[] = [{ role: "user", content: "go" }];
  for (let i = 0; i < n; i++) {
    messages.push({ role: "assistant", content: [{ type: "tool_use", id: `t${i}`, name: "Bash", input: { command: `step ${i}` } }] });
    messages.push({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: `t${i}`, content: Array.from({ length: size / 10 }, (_, j) => `r${i} ${String(j).padStart(5, "0")}`).join("\n") },
      ],
    });
  }
  return request(messages);
}

const resultText = (message: AnthropicMessageParam | undefined) => ((message?.content as AnthropicToolResultBlock[])[0]?.content as string) ?? "";
/** `toolResultMaxChars: null`: the size declares no tool_result_max_chars. */
const planWith = (inputBudget: number | undefined, toolResultMaxChars: number | null = 1000) =>
  testPlan({
    profile: testProfile({ inputBudget }),
    trimming: { passthrough: true, keep: [], ...(toolResultMaxChars === null ? {} : { toolResultMaxChars }) },
  });

describe("fitToBudget", () => {
  it("does nothing within the budget, or without one", () => {
    const input = conversation(3);
    expect(fitToBudget(input, planWith(undefined))).toEqual({ request: input, hits: [], size: measurePrompt(input) });
    expect(fitToBudget(input, planWith(measurePrompt(input).tokens)).hits).toEqual([]);
  });

  it("shortens the oldest long tool results first, only as many as it takes, and never removes a pair", () => {
    const input = conversation(3);
    const budget = measurePrompt(input).tokens - 100;
    const out = fitToBudget(input, planWith(budget));
    expect(out.error).toBeUndefined();
    expect(out.hits).toEqual([{ rule: "budget", target: "messages.2.content.0", charsRemoved: expect.any(Number) }]);
    expect(out.size.tokens).toBeLessThanOrEqual(budget);
    expect(resultText(out.request.messages[2])).toMatch(/^r0 00000\n[\s\S]*\n\[… \d+ chars cut by mallex …\]\n[\s\S]*r0 00299$/);
    expect(resultText(out.request.messages[2]).length).toBeLessThanOrEqual(1000);
    expect(out.request.messages.slice(3)).toEqual(input.messages.slice(3));
    expect(out.request.messages).toHaveLength(input.messages.length);
  });

  it("prefix stability: a result once cut stays cut the same way on every later turn; new cuts only come after", () => {
    const turn1 = conversation(3);
    const budget = measurePrompt(turn1).tokens - 100;
    const turn2 = conversation(4); // the same conversation, one round trip later
    const out1 = fitToBudget(turn1, planWith(budget)).request;
    const out2 = fitToBudget(turn2, planWith(budget)).request;
    expect(fitToBudget(turn2, planWith(budget)).hits.map((h) => h.target)).toEqual(["messages.2.content.0", "messages.4.content.0"]);
    expect(out2.messages.slice(0, 3)).toEqual(out1.messages.slice(0, 3));
    expect(resultText(out2.messages[4]).length).toBeLessThan(resultText(out1.messages[4]).length);
  });

  it("answers a 400 whose message Claude Code reads as 'prompt is too long' when even that cannot fit", () => {
    const input = conversation(3);
    const out = fitToBudget(input, planWith(500));
    expect(out.hits.map((h) => h.target)).toEqual(["messages.2.content.0", "messages.4.content.0", "messages.6.content.0"]);
    expect(TrimError.isInstance(out.error)).toBe(true);
    expect(out.error).toMatchObject({
      status: 400,
      type: "invalid_request_error",
      code: "E_OVER_BUDGET",
      profileName: "test-7b",
      budgetTokens: 500,
      estimatedTokens: out.size.tokens,
    });
    expect(out.error?.message).toBe(
      `prompt is too long: ${out.size.tokens} tokens > 500 maximum of mallex profile "test-7b" (its input_budget), even after shortening 3 tool results to 1000 characters. Run /compact or /clear, or raise input_budget of profile "test-7b" in mallex.yaml.`,
    );
    // The pattern Claude Code 2.1.197 parses the overage with.
    const match = /prompt is too long[^0-9]*(\d+)\s*tokens?\s*>\s*(\d+)/i.exec(out.error?.message ?? "");
    expect(match?.slice(1)).toEqual([String(out.size.tokens), "500"]);
    expect(fitToBudget(input, planWith(500, null)).error?.message).toMatch(
      /^prompt is too long: \d+ tokens > 500 maximum of mallex profile "test-7b" \(its input_budget\)\. Run/,
    );
  });

  it("a budget the small context sets (75% of it) is refused with the fix that lifts it: a larger context, in its server's words", () => {
    const input = conversation(3);
    const plan = testPlan({
      profile: testProfile({ contextWindow: 4096, inputBudget: 3072 }),
      trimming: { passthrough: true, keep: [] },
      contextFix: contextFix("embedded", largerContext(4096)),
    });
    const message = fitToBudget({ ...input, messages: [...input.messages, { role: "assistant", content: "x".repeat(12_000) }] }, plan).error?.message;
    expect(message).toMatch(
      /^prompt is too long: \d+ tokens > 3072 maximum of mallex profile "test-7b" \(75% of the 4096-token context its model holds; the rest is the answer's\)\. /,
    );
    expect(message).toContain(
      "Run /compact or /clear; for room to work in, start mallex with --ctx-size 32768 (mallex run --embedded MODEL.gguf --ctx-size 32768)",
    );
    // A declared input_budget under what the context leaves is the config's choice: that is what to raise.
    const declared = testPlan({ profile: testProfile({ contextWindow: 32768, inputBudget: 8000 }), trimming: { passthrough: true, keep: [] } });
    expect(fitToBudget(conversation(12), declared).error?.message).toMatch(
      /\(its input_budget; its model's context holds 32768\)\. Run \/compact or \/clear, or raise input_budget of profile "test-7b" in mallex\.yaml\.$/,
    );
  });

  it("trimRequest returns ok: false with the error, the trimmed request and the report", () => {
    const result = trimRequest(conversation(3), planWith(500), createTemplates({}));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe("E_OVER_BUDGET");
    expect(result.report.rules.filter((r) => r.rule === "budget")).toHaveLength(3);
    expect(result.report.budgetTokens).toBe(500);
  });
});
