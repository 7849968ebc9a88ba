import { describe, expect, it } from "vitest";
import { CLAUDE_STREAM_IDLE_MS, claudeStreamIdleEnv } from "../../src/cli/claude-code/claude-stream-idle-env.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";

/** Only what claudeStreamIdleEnv reads: tiers and their profiles' backends. */
function table(tiers: Record<string, string>): RoutingTable {
  return {
    profiles: { coder: { name: "coder", backend: "mlx" }, claude: { name: "claude", backend: "anthropic" } },
    backends: { mlx: { kind: "openai" }, anthropic: { kind: "anthropic" } },
    tiers: Object.fromEntries(Object.entries(tiers).map(([tier, profile]) => [tier, { profile }])),
  } as unknown as RoutingTable;
}

describe("claudeStreamIdleEnv", () => {
  it("sets Claude Code's stream watchdog past any prefill when a tier is served by a local model", () => {
    expect(claudeStreamIdleEnv(table({ medium: "coder", high: "claude" }), {})).toEqual({
      env: { CLAUDE_STREAM_IDLE_TIMEOUT_MS: String(CLAUDE_STREAM_IDLE_MS) },
      notes: [],
    });
    // Claude Code raises anything under 300,000 to it: what mallex sets must be well beyond.
    expect(CLAUDE_STREAM_IDLE_MS).toBeGreaterThan(300_000);
  });

  it("sets nothing when every tier is Claude, and keeps the user's own value, saying what it means", () => {
    expect(claudeStreamIdleEnv(table({ medium: "claude" }), {})).toEqual({ env: {}, notes: [] });
    const kept = claudeStreamIdleEnv(table({ medium: "coder" }), { CLAUDE_STREAM_IDLE_TIMEOUT_MS: "300000" });
    expect(kept.env).toEqual({});
    expect(kept.notes).toEqual([
      "CLAUDE_STREAM_IDLE_TIMEOUT_MS=300000 from your environment kept: Claude Code gives up on an answer after that long without an event, and a local model's prefill sends none",
    ]);
  });
});
