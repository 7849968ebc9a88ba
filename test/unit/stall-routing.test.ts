import { describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { compileRouterRules } from "../../src/router/compile-rules.js";
import type { RequestFacts } from "../../src/router/describe-request.js";
import { selectRoute, type BackendAvailability, type RouteInput } from "../../src/router/select-route.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }
  big: { kind: openai, base_url: "http://127.0.0.1:8081/v1" }
profiles:
  coder: { backend: local, model: coder, size: medium }
  strong: { backend: big, model: strong, size: large }
tiers:
  medium: { profile: coder }
  high: { profile: strong, fallback: medium }
routing:
  default_tier: medium
  models: [{ match: "*sonnet*", tier: high }]
`;

function table(routing = ""): RoutingTable {
  const compiled = compileTree({ "mallex.yaml": CONFIG + routing });
  if (!compiled.table) throw new Error(compiled.lines.join("\n"));
  return compiled.table;
}

const STALL = { kind: "failing-call" as const, detail: "Edit on src/a.ts failed twice with the same input" };
const facts = (stall?: RequestFacts["stall"]): RequestFacts => ({
  latestUserText: "",
  turn: "tool_result",
  hasImages: false,
  chars: 2_000,
  estimatedTokens: 572,
  ...(stall && { stall }),
});
const up: BackendAvailability = () => ({ ok: true });
const bigDown: BackendAvailability = (name) => (name === "big" ? { ok: false, reason: "not reachable" } : { ok: true });

function route(t: RoutingTable, input: Partial<RouteInput>, available = up) {
  const result = selectRoute({ model: "claude-opus-4-8", facts: facts(STALL), ...input }, t, compileRouterRules(t), available);
  if (!result.ok) throw new Error(result.message);
  return { tier: result.route.tier, profile: result.route.profile.name, reason: result.route.reason };
}

describe("routing a stalled model", () => {
  it("is on by default, and compiled off with escalate_on_stall: false", () => {
    expect(table().routing.escalateOnStall).toBe(true);
    expect(table("  escalate_on_stall: false\n").routing.escalateOnStall).toBe(false);
  });

  it("escalates one tier up from where the request would go, saying why", () => {
    expect(route(table(), {})).toEqual({ tier: "high", profile: "strong", reason: "stalled: Edit on src/a.ts failed twice with the same input → high" });
    expect(route(table(), { facts: facts() })).toEqual({ tier: "medium", profile: "coder", reason: "default → medium" });
  });

  it("stays where it would go with escalate_on_stall: false", () => {
    expect(route(table("  escalate_on_stall: false\n"), {})).toEqual({ tier: "medium", profile: "coder", reason: "default → medium" });
  });

  it("stays, and says so, when the tier above cannot serve or there is none", () => {
    expect(route(table(), {}, bigDown)).toEqual({
      tier: "medium",
      profile: "coder",
      reason: "default → medium; stalled: Edit on src/a.ts failed twice with the same input, but no tier above medium can serve (high (strong): not reachable)",
    });
    // A session already escalated (sticky) has nowhere higher to go.
    expect(route(table(), { sessionTier: "high" })).toEqual({
      tier: "high",
      profile: "strong",
      reason: "sticky escalation → high; stalled: Edit on src/a.ts failed twice with the same input, but no tier is above high",
    });
  });

  it("follows the higher tier's fallbacks, like an intent with escalate: 1, and stays when they lead back down", () => {
    const three = (fallback: string) =>
      compileTree({
        "mallex.yaml": `backends:
  local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }
  mid: { kind: openai, base_url: "http://127.0.0.1:8082/v1" }
  big: { kind: openai, base_url: "http://127.0.0.1:8081/v1" }
profiles:
  coder: { backend: local, model: coder, size: medium }
  middle: { backend: mid, model: middle, size: medium }
  strong: { backend: big, model: strong, size: large }
tiers:
  low: { profile: coder }
  medium: { profile: middle, fallback: ${fallback} }
  high: { profile: strong }
routing:
  default_tier: low
`,
      }).table!;
    const midDown: BackendAvailability = (name) => (name === "mid" ? { ok: false, reason: "not reachable" } : { ok: true });
    expect(route(three("high"), {})).toMatchObject({ tier: "medium", reason: "stalled: Edit on src/a.ts failed twice with the same input → medium" });
    expect(route(three("high"), {}, midDown)).toMatchObject({
      tier: "high",
      profile: "strong",
      reason: "stalled: Edit on src/a.ts failed twice with the same input → medium → fallback high",
    });
    expect(route(three("low"), {}, midDown)).toMatchObject({
      tier: "low",
      reason: "default → low; stalled: Edit on src/a.ts failed twice with the same input, but no tier above low can serve (medium (middle): not reachable)",
    });
  });

  it("leaves a profile the request names alone", () => {
    expect(route(table(), { model: "coder" })).toEqual({ tier: undefined, profile: "coder", reason: "model coder is a profile" });
  });
});
