import { homedir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { answerCapFor, isSmallContext, leavesRoomToTalk, SMALL_CONTEXT_TOKENS } from "../../src/shared/context/small-context.js";
import { trimToFit } from "../../src/trim/plan-trim.js";
import type { TrimResult } from "../../src/trim/trim-types.js";
import type { Size } from "../../generated/config.js";
import { budgetWithin } from "../../src/shared/context/answer-reserve.js";
import { contextFix, largerContext } from "../../src/shared/context/context-fix.js";
import { profileForAnswer } from "../../src/pipeline/profile-for-answer.js";
import { compactAt } from "../../src/shared/context/compaction-point.js";
import { smallContextWarnings } from "../../src/cli/small-context-warning.js";
import { withEmbeddedModel } from "../../src/server/with-embedded-model.js";
import { compileShipped, testProfile } from "../helpers/trim-helpers.js";

const SUPERVISION = {
  command: "",
  readiness: { probe: "health" as const, timeoutS: 60 },
  idleUnloadMinutes: 0,
  wedgeTimeoutS: 0,
  onExit: "stop" as const,
  venv: false,
  install: [],
} as never;

describe("answerCapFor: an answer in a small context leaves Claude Code's next request room", () => {
  it("holds prompt + answer (counted as the next estimate counts it) + 1/16 of the context within the budget", () => {
    for (const context of [4096, 8192, 16384]) {
      const budget = budgetWithin(context, undefined);
      for (const prompt of [1400, 2000, Math.floor(budget * 0.6)]) {
        const cap = answerCapFor(context, budget, prompt)!;
        expect(cap, `${context}/${prompt}`).toBeGreaterThanOrEqual(context / 16);
        // What the next request carries: this prompt, this answer at up to 1.5 estimated tokens a token, the next message's room.
        if (cap > context / 16) expect(prompt + cap * 1.5 + context / 16).toBeLessThanOrEqual(budget + 1);
        // And prompt + answer always within the context, with room for the estimate to fall short.
        expect(prompt + cap).toBeLessThanOrEqual(context - context / 16);
      }
    }
    // The first turn Claude Code 2.1.197 sends at 4 K: ~1,700 tokens trimmed.
    expect(answerCapFor(4096, 3072, 1700)).toBe(744);
  });

  it("never under 1/16 of the context: a prompt past Claude Code's compaction point still gets an answer", () => {
    expect(answerCapFor(4096, 3072, 3000)).toBe(256);
    expect(answerCapFor(8192, 6144, 6144)).toBe(512);
  });

  it("a compaction's answer is held by what its next request carries (system prompt and tools), and by the context", () => {
    // A compaction fitted to the budget: its summary may take what the context leaves, not the budget's last 1/16.
    expect(answerCapFor(4096, 3072, 3072, 1000)).toBe(4096 - 3072 - 256);
    expect(answerCapFor(4096, 3072, 3072, 1000)).toBeGreaterThan(answerCapFor(4096, 3072, 3072)!);
  });

  it("leaves a context that is not small alone, and one not known", () => {
    expect(isSmallContext(SMALL_CONTEXT_TOKENS)).toBe(false);
    expect(isSmallContext(SMALL_CONTEXT_TOKENS - 1)).toBe(true);
    expect(answerCapFor(32768, 24576, 20000)).toBeUndefined();
    expect(answerCapFor(undefined, 8000, 7000)).toBeUndefined();
  });

  it("profileForAnswer holds a compaction's summary under Claude Code's compaction point, where the budget let it run to 1,680 tokens at 8 K", () => {
    const profile = testProfile({ contextWindow: 8192, inputBudget: 6144, maxOutputTokens: 16384 });
    // The summary's next request carries 2,500 tokens besides it, and Claude Code compacts at 4,300 (compactAt).
    expect(compactAt(6144)).toBe(4300);
    const compaction = (carriedTokens: number) => ({ compaction: { carriedTokens, rewritten: true } });
    expect(profileForAnswer(profile, 6000, compaction(2500))).toMatchObject({ contextCap: Math.floor((4300 - 2500 - 512) / 1.5) });
    expect(answerCapFor(8192, 6144, 6000, 2500)).toBe(8192 - 6000 - 512);
    // Never under the room a small context keeps; an answer that is not a summary keeps the budget's cap.
    expect(profileForAnswer(testProfile({ contextWindow: 4096, inputBudget: 3072, maxOutputTokens: 4096 }), 3000, compaction(2300))).toMatchObject({
      contextCap: 256,
    });
    expect(profileForAnswer(profile, 2000)).toMatchObject({ contextCap: answerCapFor(8192, 6144, 2000) });
  });

  it("profileForAnswer counts a cut answer's pieces before it in a request to go on kept to their tail: Claude Code's next turn carries them all", () => {
    const profile = testProfile({ contextWindow: 8192, inputBudget: 6144, maxOutputTokens: 16384 });
    // The request as sent, with a 2,454-token piece kept to its tail: 2,300 tokens. As Claude Code sent it: 5,000.
    const fitted = profileForAnswer(profile, 2300, { continuation: { carriedTokens: 5000 } });
    expect(fitted).toMatchObject({ contextCap: 512 });
    // Counting only the tail, each piece got 2,038 tokens: 4 pieces of a model that never stops, 8,500 tokens for the next turn to carry.
    expect(profileForAnswer(profile, 2300)).toMatchObject({ contextCap: Math.floor((6144 - 2300 - 512) / 1.5) });
  });

  it("profileForAnswer lowers max_output_tokens only where the cap is lower, and says so", () => {
    const small = testProfile({ contextWindow: 4096, inputBudget: 3072, maxOutputTokens: 4096 });
    expect(profileForAnswer(small, 1700)).toEqual({ profile: { ...small, maxOutputTokens: 744 }, contextCap: 744 });
    const capped = testProfile({ contextWindow: 4096, inputBudget: 3072, maxOutputTokens: 48 });
    expect(profileForAnswer(capped, 1700)).toEqual({ profile: capped });
    const large = testProfile({ contextWindow: 262144, inputBudget: 32000, maxOutputTokens: 16384 });
    expect(profileForAnswer(large, 31000)).toEqual({ profile: large });
  });
});

describe("contextFix: the way to a larger context, in the words of what serves the model", () => {
  it("the embedded engine takes --ctx-size; each server its own flag", () => {
    expect(contextFix("embedded", 32768)).toMatch(/^start mallex with --ctx-size 32768 /);
    expect(contextFix("llama-server", 32768)).toBe("start llama-server with -c 32768 (--ctx-size)");
    expect(contextFix("vllm", 65536)).toBe("start vLLM with --max-model-len 65536");
    expect(contextFix("ollama", 32768)).toMatch(/OLLAMA_CONTEXT_LENGTH=32768/);
    expect(contextFix("mlx-lm", 32768)).toMatch(/context_window: 32768/);
    expect([largerContext(4096), largerContext(undefined), largerContext(32768)]).toEqual([32768, 32768, 65536]);
  });
});

describe("smallContextWarnings: said at start-up, with the fix", () => {
  it("the shipped config under --embedded --ctx-size 4096: one line for the engine's context, naming profile, tiers and --ctx-size", () => {
    const { table } = compileShipped();
    const served = withEmbeddedModel(table, { model: "/models/tiny.gguf", engine: { contextSize: 4096 }, supervision: SUPERVISION });
    expect(smallContextWarnings(served)).toEqual([
      "mallex: warning: a 4096-token context is small for Claude Code (under 32768): profile qwen3-coder-30b (tiers low, medium): Claude Code will compact often, and mallex cuts each answer short to leave room for the next request. To fix it, start mallex with --ctx-size 32768 (mallex run --embedded MODEL.gguf --ctx-size 32768), or set engine.context_size: 32768 in profile qwen3-coder-30b in mallex.yaml.",
    ]);
    // Running, mallex knows its config file: the fix names it (under the home folder as ~/…), and
    // sends the user of the shipped default to a file of their own rather than into the package.
    const own = smallContextWarnings({ ...served, configFile: { path: join(homedir(), ".mallex", "mallex.yaml"), shipped: false } });
    expect(own[0]).toMatch(/, or set engine\.context_size: 32768 in profile qwen3-coder-30b in ~\/\.mallex\/mallex\.yaml\.$/);
    const shipped = smallContextWarnings({ ...served, configFile: { path: "/usr/lib/node_modules/mallex/mallex.yaml", shipped: true } });
    expect(shipped[0]).toMatch(
      /, or set engine\.context_size: 32768 in profile qwen3-coder-30b in a mallex\.yaml of your own \(`mallex init` writes one; mallex now runs its shipped default\)\.$/,
    );
  });

  it("nothing for a context that is not small, nor for the Claude tier", () => {
    const { table } = compileShipped();
    expect(smallContextWarnings(table)).toEqual([]);
    expect(smallContextWarnings(withEmbeddedModel(table, { model: "/models/tiny.gguf", engine: { contextSize: 32768 }, supervision: SUPERVISION }))).toEqual(
      [],
    );
  });
});

describe("leavesRoomToTalk: a small context's session keeps half of Claude Code's compaction point to talk in", () => {
  it("at 4 K a medium profile's ~2,000 tokens of system prompt and tools leave too little, a small one's ~640 enough; at 8 K the medium's do", () => {
    // 4 K: budget 3,072, compaction point 2,150, half of it 1,075.
    expect(compactAt(budgetWithin(4096, 8000)) / 2).toBe(1075);
    expect(leavesRoomToTalk(4096, 8000, 1968)).toBe(false);
    expect(leavesRoomToTalk(4096, 8000, 636)).toBe(true);
    expect(leavesRoomToTalk(4096, 8000, 1075)).toBe(true);
    expect(leavesRoomToTalk(4096, 8000, 1076)).toBe(false);
    expect(leavesRoomToTalk(8192, 8000, 1968)).toBe(true);
  });

  it("always where the context is not small, or not known", () => {
    expect(leavesRoomToTalk(SMALL_CONTEXT_TOKENS, 8000, 7000)).toBe(true);
    expect(leavesRoomToTalk(undefined, 8000, 7000)).toBe(true);
  });
});

describe("trimToFit: the profile's size, else the largest smaller one that fits and leaves room to talk", () => {
  /** A trim that reports `prefix` tokens of system prompt and tools per size, over the budget where `fits` says. */
  const trims = (prefix: Record<Size, number>, fits: (size: Size) => boolean) =>
    function* (size: Size) {
      yield;
      return {
        ok: fits(size),
        ...(fits(size) ? {} : { error: { type: "budget" } }),
        report: { prefixTokens: prefix[size] },
      } as unknown as TrimResult;
    };
  const run = (steps: Generator<unknown, { trimmed: TrimResult; smaller?: unknown }>) => {
    for (;;) {
      const next = steps.next();
      if (next.done) return { prefix: next.value.trimmed.report.prefixTokens, ok: next.value.trimmed.ok, smaller: next.value.smaller };
    }
  };
  const prefix = { small: 600, medium: 2000, large: 5000 };
  const roomy = (trimmed: TrimResult) => trimmed.report.prefixTokens <= 1000;

  it("keeps its own size where it fits and leaves room", () => {
    expect(
      run(
        trimToFit(
          trims(prefix, () => true),
          "medium",
          () => true,
        ),
      ),
    ).toEqual({ prefix: 2000, ok: true, smaller: undefined });
  });

  it("steps down for room, and says why", () => {
    expect(
      run(
        trimToFit(
          trims(prefix, () => true),
          "large",
          roomy,
        ),
      ),
    ).toEqual({ prefix: 600, ok: true, smaller: { size: "small", why: "room" } });
  });

  it("steps down for the budget, and says so, where its own size did not fit", () => {
    expect(
      run(
        trimToFit(
          trims(prefix, (size) => size === "small"),
          "large",
          roomy,
        ),
      ),
    ).toEqual({ prefix: 600, ok: true, smaller: { size: "small", why: "budget" } });
  });

  it("where no size is roomy, the first that fits: its own before a smaller one", () => {
    const cramped = () => false;
    expect(
      run(
        trimToFit(
          trims(prefix, () => true),
          "large",
          cramped,
        ),
      ),
    ).toEqual({ prefix: 5000, ok: true, smaller: undefined });
    expect(
      run(
        trimToFit(
          trims(prefix, (size) => size !== "large"),
          "large",
          cramped,
        ),
      ),
    ).toEqual({
      prefix: 2000,
      ok: true,
      smaller: { size: "medium", why: "budget" },
    });
  });

  it("none fits: the own size's refusal", () => {
    expect(
      run(
        trimToFit(
          trims(prefix, () => false),
          "medium",
          roomy,
        ),
      ),
    ).toEqual({ prefix: 2000, ok: false, smaller: undefined });
  });
});
