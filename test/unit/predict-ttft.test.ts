import { describe, expect, it } from "vitest";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";
import { escalateForTtft, type PredictFor, type RouteDecision } from "../../src/router/select-route.js";
import { formatSeconds, predictTtft, rateOf, type LearnedRates } from "../../src/router/predict-ttft.js";
import { compileTree } from "../helpers/config-tree.js";

const learned = (prefill: number[], tokenRatio: number[] = [], sharedPrefix: number[] = []): LearnedRates => ({
  prefill,
  decode: [],
  tokenRatio,
  sharedPrefix,
});

describe("rateOf", () => {
  it("is unknown below three samples, then the median: one request that waited moves nothing", () => {
    expect(rateOf(undefined)).toBeUndefined();
    expect(rateOf([500, 500])).toBeUndefined();
    expect(rateOf([500, 20, 510])).toBe(500);
    expect(rateOf([400, 600, 20, 5000])).toBe(500);
  });
});

describe("predictTtft", () => {
  const rates = learned([1000, 1000, 1000]);

  it("says nothing without a learned rate: routing never acts on a guess", () => {
    expect(predictTtft(undefined, { tokens: 50_000 })).toBeUndefined();
    expect(predictTtft(learned([1000, 1000]), { tokens: 50_000 })).toBeUndefined();
  });

  it("divides the prompt the backend has not cached by the prefill rate", () => {
    expect(predictTtft(rates, { tokens: 20_000 })).toEqual({ ms: 20_000, uncachedTokens: 20_000, prefillPerSecond: 1000 });
  });

  it("counts the session's previous prompt as cached: a continuation prefills only what was appended", () => {
    expect(predictTtft(rates, { tokens: 21_500, previousTokens: 20_000 })).toMatchObject({ ms: 1_500, uncachedTokens: 1_500 });
    expect(predictTtft(rates, { tokens: 20_000, previousTokens: 20_000 })).toMatchObject({ ms: 0 });
  });

  it("counts all of a prompt shorter than the session's previous one (compacted: no prefix of it)", () => {
    expect(predictTtft(rates, { tokens: 8_000, previousTokens: 30_000 })).toMatchObject({ uncachedTokens: 8_000 });
  });

  it("counts a new session's prompt less the prefix sessions share, once that is learned", () => {
    const shared = learned([1000, 1000, 1000], [], [6_000, 0, 6_200]);
    expect(predictTtft(shared, { tokens: 20_000 })).toMatchObject({ uncachedTokens: 14_000, ms: 14_000 });
    expect(predictTtft(shared, { tokens: 8_000, previousTokens: 30_000 })).toMatchObject({ uncachedTokens: 2_000 });
    expect(predictTtft(shared, { tokens: 4_000 })).toMatchObject({ uncachedTokens: 0, ms: 0 });
    expect(predictTtft(learned([1000, 1000, 1000], [], [6_000, 6_000]), { tokens: 20_000 })).toMatchObject({ uncachedTokens: 20_000 });
  });

  it("turns mallex's estimate into the backend's tokens with the learned ratio", () => {
    expect(predictTtft(learned([1000, 1000, 1000], [1.2, 1.25, 1.3]), { tokens: 10_000 })).toMatchObject({ uncachedTokens: 12_500, ms: 12_500 });
  });

  it("formats seconds for the log", () => {
    expect(formatSeconds(42_400)).toBe("42 s");
    expect(formatSeconds(1_540)).toBe("1.5 s");
  });
});

/** Three tiers: low and medium local (two profiles on two backends), high the Anthropic API. */
function table(medium = "max_ttft_s: 20", high = "{ profile: claude, fallback: medium }"): RoutingTable {
  const compiled = compileTree({
    "mallex.yaml": `backends:
  local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }
  big: { kind: openai, base_url: "http://127.0.0.1:8081/v1" }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com, api_key: "\${ANTHROPIC_API_KEY}" }
profiles:
  fast: { backend: local, model: fast-model, size: small }
  slow: { backend: local, model: slow-model, size: medium }
  large: { backend: big, model: large-model, size: large }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  low: { profile: fast }
  medium: { profile: slow, ${medium} }
  high: ${high}
routing:
  default_tier: medium
  models: [{ match: "*haiku*", tier: low }, { match: "*opus*", tier: high }]
`,
  });
  expect(compiled.lines).toEqual([]);
  return compiled.table!;
}

const onTier = (t: RoutingTable, tier: "low" | "medium" | "high"): RouteDecision => ({
  profile: t.profiles[t.tiers[tier].profile]!,
  tier,
  reason: `default → ${tier}`,
  skipped: [],
});
const every = () => ({ ok: true }) as const;
const seconds =
  (byProfile: Record<string, number>): PredictFor =>
  (profile: CompiledProfile) =>
    byProfile[profile.name] === undefined ? undefined : { ms: byProfile[profile.name]! * 1000, uncachedTokens: 1, prefillPerSecond: 1 };

describe("escalateForTtft", () => {
  it("compiles max_ttft_s into the tier, in milliseconds", () => {
    expect(table().tiers.medium).toEqual({ profile: "slow", maxTtftMs: 20_000 });
  });

  it("escalates a request predicted over its tier's limit to the next tier up, and says why", () => {
    const t = table();
    const result = escalateForTtft(onTier(t, "medium"), seconds({ slow: 42 }), t, every);
    expect(result?.note).toBe("predicted ttft 42 s > max_ttft_s 20 of tier medium, escalating to high");
    expect(result?.route).toMatchObject({
      tier: "high",
      profile: { name: "claude" },
      reason: "default → medium → predicted ttft 42 s > max_ttft_s 20 of tier medium, escalated to high",
    });
  });

  it("leaves the request where it is within the limit, without a limit, without a learned rate, or on a profile named outright", () => {
    const t = table();
    expect(escalateForTtft(onTier(t, "medium"), seconds({ slow: 19 }), t, every)).toBeUndefined();
    expect(escalateForTtft(onTier(t, "medium"), seconds({}), t, every)).toBeUndefined();
    expect(escalateForTtft(onTier(t, "low"), seconds({ fast: 500 }), t, every)).toBeUndefined();
    const named = { ...onTier(t, "medium"), tier: undefined };
    expect(escalateForTtft(named, seconds({ slow: 42 }), t, every)).toBeUndefined();
  });

  it("passes over a tier whose backend cannot serve, and stays (saying so) when nothing above can", () => {
    const t = table();
    const noClaude = (backend: string) => (backend === "anthropic" ? { ok: false as const, reason: "no key" } : { ok: true as const });
    expect(escalateForTtft(onTier(t, "medium"), seconds({ slow: 42 }), t, noClaude)).toEqual({
      note: "predicted ttft 42 s > max_ttft_s 20 of tier medium, but no tier above is predicted faster: staying",
    });
  });

  it("takes a local tier above only when it is predicted faster and within its own limit; one not learned yet is tried", () => {
    const t = table("max_ttft_s: 20", "{ profile: large, max_ttft_s: 30 }");
    const route = onTier(t, "medium");
    expect(escalateForTtft(route, seconds({ slow: 42, large: 50 }), t, every)?.route).toBeUndefined();
    expect(escalateForTtft(route, seconds({ slow: 42, large: 35 }), t, every)?.route).toBeUndefined();
    expect(escalateForTtft(route, seconds({ slow: 42, large: 25 }), t, every)?.route?.tier).toBe("high");
    expect(escalateForTtft(route, seconds({ slow: 42 }), t, every)?.route?.tier).toBe("high");
  });
});
