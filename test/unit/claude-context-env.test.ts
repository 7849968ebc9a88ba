import { describe, expect, it } from "vitest";
import { claudeContextEnv, compactAt, compactWindowFor, trimmedPromptLimit } from "../../src/cli/claude-code/claude-context-env.js";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";

/** Only what claudeContextEnv reads: the tiers, the default tier, the profiles and their backends' kinds. */
function table(defaultProfile: Partial<CompiledProfile>): RoutingTable {
  const profiles = {
    local: { name: "local", backend: "mlx", model: "org/Local-7B", maxOutputTokens: 4096, ...defaultProfile },
    other: { name: "other", backend: "mlx", model: "org/Other", contextWindow: 8192, maxOutputTokens: 1024 },
  };
  const backends = { mlx: { kind: "openai" }, anthropic: { kind: "anthropic" } };
  return {
    profiles,
    backends,
    tiers: { low: { profile: "other" }, medium: { profile: "local" } },
    routing: { defaultTier: "medium" },
  } as unknown as RoutingTable;
}

describe("the window Claude Code is told", () => {
  it("the trimmed prompt's limit: the input budget, at most three quarters of the context", () => {
    expect(trimmedPromptLimit({ contextWindow: 262144, inputBudget: 32000 } as CompiledProfile)).toBe(32000);
    expect(trimmedPromptLimit({ contextWindow: 8192 } as CompiledProfile)).toBe(6144);
    expect(trimmedPromptLimit({ contextWindow: 8192, inputBudget: 32000 } as CompiledProfile)).toBe(6144);
    expect(trimmedPromptLimit({} as CompiledProfile)).toBeUndefined();
  });

  it.each([2048, 8192, 32768, 131072, 262144])(
    "for a %i-token context Claude Code compacts past half the context and below the limit, with room for its compaction request",
    (context) => {
      const limit = trimmedPromptLimit({ contextWindow: context } as CompiledProfile)!;
      const at = compactAt(limit);
      expect(at).toBeGreaterThan(context / 2);
      expect(at).toBeLessThanOrEqual(limit * 0.7);
      // Claude Code compacts at window − min(max output, 20,000) − 13,000: 32,000 is its max output for a name it does not know.
      expect(compactWindowFor(limit, {}) - 20_000 - 13_000).toBe(at);
      expect(compactWindowFor(limit, { CLAUDE_CODE_MAX_OUTPUT_TOKENS: "4096" }) - 4096 - 13_000).toBe(at);
    },
  );
});

describe("claudeContextEnv", () => {
  it("tells Claude Code the window that makes it compact near the default profile's prompt limit, under a routable local name", () => {
    const result = claudeContextEnv(table({ contextWindow: 262144, inputBudget: 32000, maxOutputTokens: 16384 }), {});
    const window = String(compactAt(32000) + 33_000);
    expect(result.env).toEqual({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: window, CLAUDE_CODE_MAX_CONTEXT_TOKENS: window, ANTHROPIC_MODEL: "mallex/local" });
    expect(result.notes).toEqual([
      `Claude Code will summarize the conversation (compact) once it nears ${compactAt(32000).toLocaleString("en-US")} tokens, since local takes prompts of 32,000 tokens at most (its context holds 262,144): mallex sets CLAUDE_CODE_AUTO_COMPACT_WINDOW=${window} as model mallex/local`,
    ]);
  });

  it("a small context gets the local name too (its window under 100,000 only applies to a name that is not Claude's)", () => {
    const result = claudeContextEnv(table({ contextWindow: 8192 }), {});
    expect(result.env.ANTHROPIC_MODEL).toBe("mallex/local");
    expect(Number(result.env.CLAUDE_CODE_MAX_CONTEXT_TOKENS)).toBeLessThan(100_000);
  });

  it("leaves the model to the user who chose one (ANTHROPIC_MODEL or --model), and says a Claude name may compact late", () => {
    for (const [env, args] of [
      [{ ANTHROPIC_MODEL: "claude-opus-4-8" }, []],
      [{}, ["--model", "claude-opus-4-8", "-p", "hi"]],
      [{}, ["--model=claude-opus-4-8"]],
    ] as const) {
      const result = claudeContextEnv(table({ contextWindow: 32768 }), env, args);
      expect(result.env.ANTHROPIC_MODEL).toBeUndefined();
      expect(result.env.CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe(String(compactWindowFor(24576, {})));
      expect(result.notes[0]).toMatch(/^you chose the model Claude Code names: for a Claude name it takes no window under 100000/);
    }
  });

  it("keeps what the user's environment already sets, and says so", () => {
    const result = claudeContextEnv(table({ contextWindow: 262144, inputBudget: 32000 }), {
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: "120000",
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: "",
    });
    expect(result.env).toEqual({ CLAUDE_CODE_MAX_CONTEXT_TOKENS: String(compactWindowFor(32000, {})), ANTHROPIC_MODEL: "mallex/local" });
    expect(result.notes).toEqual([
      `CLAUDE_CODE_AUTO_COMPACT_WINDOW=120000 from your environment kept (mallex would set ${compactWindowFor(32000, {})} for local's 32000-token prompt limit)`,
    ]);
  });

  it("sets nothing for a Claude-tier default profile", () => {
    expect(claudeContextEnv(table({ backend: "anthropic", model: "claude-sonnet-4-6", inputBudget: 100000 }), {})).toEqual({ env: {}, notes: [] });
    expect(claudeContextEnv(table({ backend: "mlx" }), {})).toEqual({ env: {}, notes: [] });
  });

  it("sets nothing when the default tier names no profile", () => {
    const t = { ...table({ contextWindow: 32768 }), routing: { defaultTier: "high" } } as unknown as RoutingTable;
    expect(claudeContextEnv(t, {})).toEqual({ env: {}, notes: [] });
  });
});
