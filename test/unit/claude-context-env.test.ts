import { describe, expect, it } from "vitest";
import { claudeContextEnv } from "../../src/cli/claude-context-env.js";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";

/** Only what claudeContextEnv reads: the tiers, the default tier and the profiles. */
function table(defaultProfile: Partial<CompiledProfile>): RoutingTable {
  const profiles = {
    local: { name: "local", backend: "mlx", model: "org/Local-7B", maxOutputTokens: 4096, ...defaultProfile },
    other: { name: "other", backend: "mlx", model: "org/Other", contextWindow: 8192, maxOutputTokens: 1024 },
  };
  return { profiles, tiers: { low: { profile: "other" }, medium: { profile: "local" } }, routing: { defaultTier: "medium" } } as unknown as RoutingTable;
}

describe("claudeContextEnv", () => {
  it("tells Claude Code the default tier's context window, as is (Claude Code reserves the output itself), under a routable local name", () => {
    const result = claudeContextEnv(table({ contextWindow: 262144, maxOutputTokens: 16384 }), {});
    expect(result.env).toEqual({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: "262144", CLAUDE_CODE_MAX_CONTEXT_TOKENS: "262144", ANTHROPIC_MODEL: "mallex/local" });
    expect(result.notes).toEqual(["Claude Code told local's context window as model mallex/local: CLAUDE_CODE_AUTO_COMPACT_WINDOW=262144"]);
  });

  it("never more than the profile's context_window; under 100,000 the Claude name stays (Claude Code counts its untrimmed prompt against a local name's window)", () => {
    const result = claudeContextEnv(table({ contextWindow: 32768 }), {});
    expect(result.env).toEqual({ CLAUDE_CODE_AUTO_COMPACT_WINDOW: "32768", CLAUDE_CODE_MAX_CONTEXT_TOKENS: "32768" });
    expect(result.notes[1]).toMatch(/^Claude Code raises an auto-compact window under 100000 to 100000 for Claude model names, and counts its own untrimmed prompt/);
  });

  it("leaves the model to the user who chose one (ANTHROPIC_MODEL or --model)", () => {
    for (const [env, args] of [[{ ANTHROPIC_MODEL: "claude-opus-4-8" }, []], [{}, ["--model", "claude-opus-4-8", "-p", "hi"]], [{}, ["--model=claude-opus-4-8"]]] as const) {
      const result = claudeContextEnv(table({ contextWindow: 262144 }), env, args);
      expect(result.env.ANTHROPIC_MODEL).toBeUndefined();
      expect(result.env.CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe("262144");
    }
  });

  it("keeps what the user's environment already sets, and says so", () => {
    const result = claudeContextEnv(table({ contextWindow: 262144 }), { CLAUDE_CODE_AUTO_COMPACT_WINDOW: "120000", CLAUDE_CODE_MAX_CONTEXT_TOKENS: "" });
    expect(result.env).toEqual({ CLAUDE_CODE_MAX_CONTEXT_TOKENS: "262144", ANTHROPIC_MODEL: "mallex/local" });
    expect(result.notes).toEqual(["CLAUDE_CODE_AUTO_COMPACT_WINDOW=120000 from your environment kept (local's context_window is 262144)"]);
  });

  it("sets nothing for a Claude-tier default profile (no context_window)", () => {
    expect(claudeContextEnv(table({ backend: "anthropic", model: "claude-sonnet-4-6" }), {})).toEqual({ env: {}, notes: [] });
  });

  it("sets nothing when the default tier names no profile", () => {
    const t = { ...table({ contextWindow: 32768 }), routing: { defaultTier: "high" } } as unknown as RoutingTable;
    expect(claudeContextEnv(t, {})).toEqual({ env: {}, notes: [] });
  });
});
