import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { predictTtft } from "../../src/router/predict-ttft.js";
import { createSessionPrompts } from "../../src/router/session-prompts.js";
import { addSample, RATE_WINDOW, sampleOf } from "../../src/observe/learn-rates.js";
import { createMallexMetrics, renderMetrics } from "../../src/observe/mallex-metrics.js";
import { createTtftRates, ttftRatesPath } from "../../src/observe/ttft-rates.js";
import { learnFromRequest } from "../../src/observe/learn-from-request.js";
import { finished } from "../helpers/finished-request.js";
import { testProfile } from "../helpers/trim-helpers.js";

describe("sampleOf", () => {
  it("reads the prefill rate off the uncached tokens and the measured ttft, the decode rate off the rest", () => {
    expect(sampleOf(finished(), 6_400, false)).toEqual({ prefill: 2_000, decode: 50, tokenRatio: 1.25 });
  });

  it("ends the prefill at the model's first token when it came before the client's first block (a tool call is sent whole)", () => {
    expect(sampleOf(finished({ modelTokenAt: 2_000 }), 6_400, false)).toEqual({ prefill: 6_000, decode: 200 / 6, tokenRatio: 1.25 });
  });

  it("times the prefill from the request's way to the backend: a wait in its queue or for its model to load is no prefill", () => {
    // Sent 2 s after it arrived (queued 1.5 s, then 0.5 s for the server): 6,000 tokens in 1 s.
    expect(sampleOf(finished({ queuedMs: 1_500, loadingMs: 500, sentAt: 3_000 }), 6_400, false)).toEqual({ prefill: 6_000, decode: 50, tokenRatio: 1.25 });
  });

  it("learns nothing from a failed request or an answer read in one piece; no prefill from a tiny prompt, no decode from a short answer", () => {
    expect(sampleOf(finished({ error: "client disconnected" }), 6_400, true)).toBeUndefined();
    expect(sampleOf(finished({ firstTokenAt: undefined }), 6_400, false)).toBeUndefined();
    expect(sampleOf(finished({ cachedTokens: 7_500 }), 6_400, false)).toEqual({ decode: 50, tokenRatio: 1.25 });
    expect(sampleOf(finished({ outputTokens: 3 }), 6_400, false)).toEqual({ prefill: 2_000, tokenRatio: 1.25 });
    expect(sampleOf(finished({ promptTokens: 300, cachedTokens: 0, outputTokens: 3 }), 240, false)).toBeUndefined();
  });

  it("takes what the backend had cached of a session's first request as the prefix sessions share", () => {
    expect(sampleOf(finished(), 6_400, true)).toMatchObject({ sharedPrefix: 2_000 });
    expect(sampleOf(finished({ cachedTokens: 0 }), 6_400, true)).toMatchObject({ sharedPrefix: 0 });
  });
});

describe("addSample", () => {
  it("keeps the most recent samples of each rate", () => {
    let rates = addSample(undefined, { prefill: 1 });
    for (let i = 2; i <= RATE_WINDOW + 2; i++) rates = addSample(rates, { prefill: i, decode: 10 });
    expect(rates.prefill).toHaveLength(RATE_WINDOW);
    expect(rates.prefill[0]).toBe(3);
    expect(rates.decode).toHaveLength(RATE_WINDOW);
    expect(rates.tokenRatio).toEqual([]);
    expect(addSample(rates, { sharedPrefix: 0 }).sharedPrefix).toEqual([0]);
  });
});

describe("createTtftRates", () => {
  afterEach(() => {
    vi.useRealTimers();
  });
  const home = () => mkdtempSync(join(tmpdir(), "mallex-rates-"));
  const profile = testProfile({ name: "coder", model: "org/coder-30b" });

  it("keeps what was learned across a restart: written to MALLEX_HOME, loaded by the next start", async () => {
    const file = ttftRatesPath(home());
    const errors: string[] = [];
    const first = createTtftRates({ file, onError: (line) => errors.push(line) });
    for (const prefill of [900, 1000, 1100]) first.learn(profile, { prefill, decode: 40, tokenRatio: 1.2 });
    await first.flush();
    const second = createTtftRates({ file, onError: (line) => errors.push(line) });
    expect(second.get(profile)).toMatchObject({ prefill: [900, 1000, 1100], decode: [40, 40, 40], tokenRatio: [1.2, 1.2, 1.2], sharedPrefix: [], ttftMs: [] });
    expect(predictTtft(second.get(profile), { tokens: 10_000 })).toMatchObject({ uncachedTokens: 12_000, ms: 12_000 });
    expect(errors).toEqual([]);
  });

  it("keys the rates by profile and model: the same profile on another model starts over", () => {
    const rates = createTtftRates({ file: ttftRatesPath(home()), onError: () => undefined });
    rates.learn(profile, { prefill: 1000 });
    expect(rates.get({ name: "coder", model: "org/other" })).toBeUndefined();
    expect(rates.get({ name: "other", model: "org/coder-30b" })).toBeUndefined();
    expect(rates.get(profile)?.prefill).toEqual([1000]);
  });

  it("writes once per burst of requests, after the debounce, off the request path", async () => {
    vi.useFakeTimers();
    const file = ttftRatesPath(home());
    const rates = createTtftRates({ file, debounceMs: 1_000, onError: () => undefined, now: () => Date.parse("2025-06-01T10:00:00Z") });
    rates.learn(profile, { prefill: 1000, ttftMs: 2_500 }, { kind: "openai", flavor: "mlx", url: "started by mallex" });
    rates.learn(profile, { prefill: 1200 });
    expect(() => readFileSync(file)).toThrow();
    vi.advanceTimersByTime(1_000);
    vi.useRealTimers();
    await rates.flush();
    // Format 2: the times to first token, the server of the latest request (kept when a request names none) and when it learned.
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual({
      format: 2,
      profiles: {
        coder: {
          "org/coder-30b": {
            prefill: [1000, 1200],
            decode: [],
            tokenRatio: [],
            sharedPrefix: [],
            ttftMs: [2_500],
            server: { kind: "openai", flavor: "mlx", url: "started by mallex" },
            lastAt: "2025-06-01T10:00:00.000Z",
          },
        },
      },
    });
  });

  it("says so and learns again when the file is not one it wrote", () => {
    const file = ttftRatesPath(home());
    const errors: string[] = [];
    writeFileSync(file, JSON.stringify({ format: 1, profiles: { coder: { "org/coder-30b": { prefill: [-5] } } } }));
    expect(createTtftRates({ file, onError: (line) => errors.push(line) }).get(profile)).toBeUndefined();
    writeFileSync(file, "{not json");
    createTtftRates({ file, onError: (line) => errors.push(line) });
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain("coder (org/coder-30b): prefill is not a list of positive numbers");
    expect(errors[1]).toMatch(/learned rates in .* ignored, learning again/);
  });

  it("treats names from the file as keys only", () => {
    const file = ttftRatesPath(home());
    writeFileSync(file, '{"format":1,"profiles":{"__proto__":{"m":{"prefill":[1,2,3],"decode":[],"tokenRatio":[]}}}}');
    const rates = createTtftRates({ file, onError: () => undefined });
    expect(rates.get({ name: "__proto__", model: "m" })?.prefill).toEqual([1, 2, 3]);
    expect(({} as Record<string, unknown>).m).toBeUndefined();
  });
});

describe("learnFromRequest", () => {
  it("learns the rates, what sessions share, and the session's prompt once it was answered", () => {
    const rates = createTtftRates({ file: ttftRatesPath(mkdtempSync(join(tmpdir(), "mallex-rates-"))), onError: () => undefined });
    const state = { rates, prompts: createSessionPrompts() };
    const profile = testProfile({ name: "coder" });
    learnFromRequest(state, profile, finished({ error: "client disconnected" }), { estimatedTokens: 6_400, sessionId: "s-1" });
    expect(state.prompts.get("s-1", "coder")).toBeUndefined();
    for (let i = 0; i < 3; i++) learnFromRequest(state, profile, finished(), { estimatedTokens: 6_400, sessionId: "s-1" });
    expect(state.prompts.get("s-1", "coder")).toBe(6_400);
    expect(state.prompts.get("s-1", "other")).toBeUndefined();
    // Only the session's first request tells what sessions share; one without a session always does.
    expect(rates.get(profile)?.sharedPrefix).toEqual([2_000]);
    learnFromRequest(state, profile, finished({ cachedTokens: 1_500 }), { estimatedTokens: 6_400, sessionId: null });
    expect(rates.get(profile)?.sharedPrefix).toEqual([2_000, 1_500]);
    const text = renderMetrics(createMallexMetrics(), { learned: { table: { profiles: { coder: profile } } as never, rates } });
    expect(text).toContain('mallex_prefill_tokens_per_second{profile="coder"} 2000');
    expect(text).toContain('mallex_decode_tokens_per_second{profile="coder"} 50');
  });
});
