import { describe, expect, it } from "vitest";
import { claudeToolSearchEnv } from "../../src/cli/claude-code/claude-tool-search-env.js";
import type { CompiledToolPolicy, RoutingTable } from "../../src/compile/routing-table.js";
import { globToRegex } from "../../src/compile/glob-to-regex.js";
import { compileShipped } from "../helpers/trim-helpers.js";

const policy = (extra: Partial<CompiledToolPolicy> = {}): CompiledToolPolicy => ({
  drop: [],
  stubDescriptions: false,
  stubClientDescriptions: false,
  simplifySchemas: false,
  ...extra,
});

/** Only what claudeToolSearchEnv reads: tiers, their profiles' backends and sizes, the tool policies. */
function table(tiers: Record<string, string>, tools: Partial<Record<"small" | "medium" | "large", CompiledToolPolicy>> = {}): RoutingTable {
  const profiles = {
    coder: { name: "coder", backend: "mlx", size: "medium" },
    big: { name: "big", backend: "mlx", size: "large" },
    claude: { name: "claude", backend: "anthropic", size: "large" },
  };
  return {
    profiles,
    backends: { mlx: { kind: "openai" }, anthropic: { kind: "anthropic" } },
    tiers: Object.fromEntries(Object.entries(tiers).map(([tier, profile]) => [tier, { profile }])),
    tools: { small: policy(), medium: policy(), large: policy(), ...tools },
  } as unknown as RoutingTable;
}

describe("claudeToolSearchEnv", () => {
  it("turns tool search off when a tier's local model is not offered ToolSearch, naming the tiers", () => {
    const result = claudeToolSearchEnv(table({ low: "coder", medium: "coder", high: "claude" }, { medium: policy({ allow: ["Read", "WebFetch"] }) }), {});
    expect(result.env).toEqual({ ENABLE_TOOL_SEARCH: "false" });
    expect(result.notes).toEqual([
      "Claude Code started with ENABLE_TOOL_SEARCH=false (every tool sent up front): tiers low (coder), medium (coder) are not offered ToolSearch",
    ]);
  });

  it("a drop glob that removes ToolSearch counts too", () => {
    const result = claudeToolSearchEnv(table({ medium: "big" }, { large: policy({ drop: [{ glob: "Tool*", pattern: globToRegex("Tool*") }] }) }), {});
    expect(result).toEqual({
      env: { ENABLE_TOOL_SEARCH: "false" },
      notes: ["Claude Code started with ENABLE_TOOL_SEARCH=false (every tool sent up front): tier medium (big) is not offered ToolSearch"],
    });
  });

  it("leaves tool search alone when every tier can search: all built-ins allowed, ToolSearch allowed, or Claude", () => {
    expect(claudeToolSearchEnv(table({ medium: "big", high: "claude" }), {})).toEqual({ env: {}, notes: [] });
    expect(claudeToolSearchEnv(table({ medium: "coder" }, { medium: policy({ allow: ["Read", "ToolSearch"] }) }), {})).toEqual({ env: {}, notes: [] });
    expect(claudeToolSearchEnv(table({ high: "claude" }, { large: policy({ allow: ["Read"] }) }), {})).toEqual({ env: {}, notes: [] });
  });

  it("keeps the user's own ENABLE_TOOL_SEARCH, and says so; an empty one is unset (as Claude Code reads it)", () => {
    const t = table({ medium: "coder" }, { medium: policy({ allow: ["Read"] }) });
    expect(claudeToolSearchEnv(t, { ENABLE_TOOL_SEARCH: "true" })).toEqual({
      env: {},
      notes: ["ENABLE_TOOL_SEARCH=true from your environment kept, though tier medium (coder) is not offered ToolSearch"],
    });
    expect(claudeToolSearchEnv(t, { ENABLE_TOOL_SEARCH: "" }).env).toEqual({ ENABLE_TOOL_SEARCH: "false" });
  });

  it("turns it off for the shipped config, whose local tiers' allowlists leave ToolSearch out", () => {
    expect(claudeToolSearchEnv(compileShipped().table, {}).env).toEqual({ ENABLE_TOOL_SEARCH: "false" });
  });
});
