import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ttftOf } from "../../src/observe/learn-rates.js";
import { learnFromRequest } from "../../src/observe/learn-from-request.js";
import { describeServer } from "../../src/observe/measured-server.js";
import { listMeasuredSpeeds, readMeasuredSpeeds } from "../../src/observe/measured-speeds.js";
import { createTtftRates, ttftRatesPath } from "../../src/observe/ttft-rates.js";
import { createSessionPrompts } from "../../src/router/session-prompts.js";
import { finished } from "../helpers/finished-request.js";
import { testProfile } from "../helpers/trim-helpers.js";

const home = () => mkdtempSync(join(tmpdir(), "mallex-speeds-"));
const MLX = { kind: "openai", flavor: "mlx", url: "started by mallex" } as const;

describe("describeServer", () => {
  it("names where a backend's requests went: mallex's engine, a server mallex started, a URL, a pool", () => {
    expect(describeServer({ kind: "openai", flavor: "embedded", supervised: true })).toEqual({ kind: "openai", flavor: "embedded", url: "embedded" });
    expect(describeServer({ kind: "openai", flavor: "mlx", supervised: true })).toEqual(MLX);
    expect(describeServer({ kind: "openai", flavor: "llama-server", baseUrl: "http://gpu-box:8080/v1" })).toEqual({
      kind: "openai",
      flavor: "llama-server",
      url: "http://gpu-box:8080/v1",
    });
    expect(describeServer({ kind: "openai", flavor: "vllm", baseUrl: "http://a/v1", urls: ["http://a/v1", "http://b/v1"] }).url).toBe(
      "http://a/v1, http://b/v1",
    );
    // An embedded backend sent to a running server (--backend-url) is that server.
    expect(describeServer({ kind: "openai", flavor: "embedded", baseUrl: "http://127.0.0.1:9000/v1" }).url).toBe("http://127.0.0.1:9000/v1");
  });
});

describe("ttftOf", () => {
  it("times the backend: from the request's way to it to the model's first token, at any prompt size", () => {
    expect(ttftOf(finished())).toBe(3_000);
    expect(ttftOf(finished({ sentAt: 3_000 }))).toBe(1_000);
    expect(ttftOf(finished({ modelTokenAt: 2_500 }))).toBe(1_500);
    expect(ttftOf(finished({ promptTokens: 300, cachedTokens: 0, outputTokens: 3 }))).toBe(3_000);
    expect(ttftOf(finished({ error: "client disconnected" }))).toBeUndefined();
    expect(ttftOf(finished({ firstTokenAt: undefined }))).toBeUndefined();
  });
});

describe("learnFromRequest with the server", () => {
  it("keeps each request's time to first token and the server that answered, across a restart", async () => {
    const file = ttftRatesPath(home());
    const rates = createTtftRates({ file, onError: () => undefined, now: () => Date.parse("2025-06-02T08:30:00Z") });
    const state = { rates, prompts: createSessionPrompts() };
    const profile = testProfile({ name: "coder", model: "org/coder-30b" });
    const prompt = { estimatedTokens: 6_400, sessionId: null };
    learnFromRequest(state, profile, finished(), prompt, MLX);
    learnFromRequest(state, profile, finished({ firstTokenAt: 3_000 }), prompt, MLX);
    // A tiny prompt teaches no rate, but its time to first token counts.
    learnFromRequest(state, profile, finished({ promptTokens: 300, cachedTokens: 0, outputTokens: 3, firstTokenAt: 1_500 }), prompt, MLX);
    learnFromRequest(state, profile, finished({ error: "upstream 500" }), prompt, MLX);
    await rates.flush();
    const after = createTtftRates({ file, onError: () => undefined }).get(profile);
    expect(after).toMatchObject({ prefill: [2_000, 3_000], ttftMs: [3_000, 2_000, 500], server: MLX, lastAt: "2025-06-02T08:30:00.000Z" });
    expect(readMeasuredSpeeds(join(file, ".."))).toEqual({
      speeds: [
        {
          model: "org/coder-30b",
          profile: "coder",
          ttftMs: 2_000,
          samples: { prefill: 2, decode: 2, ttft: 3 },
          server: MLX,
          lastAt: "2025-06-02T08:30:00.000Z",
        },
      ],
      problems: [],
    });
  });
});

describe("listMeasuredSpeeds", () => {
  it("lists each model and profile with the medians of its recent samples (known from 3), their counts and its server", () => {
    const gguf = "/home/me/.mallex/models/qwen2.5-coder-7b-q4_k_m.gguf";
    const speeds = listMeasuredSpeeds({
      small: {
        [gguf]: {
          prefill: [900, 1_100, 1_000, 5_000],
          decode: [30.25, 31.5, 29.75],
          tokenRatio: [],
          sharedPrefix: [],
          ttftMs: [800.4, 1_200, 2_000],
          server: { kind: "openai", flavor: "embedded", url: "embedded" },
          lastAt: "2025-06-01T00:00:00.000Z",
        },
      },
      coder: { "org/coder-30b": { prefill: [400, 500], decode: [], tokenRatio: [], sharedPrefix: [], ttftMs: [] } },
    });
    expect(speeds).toEqual([
      {
        model: gguf,
        profile: "small",
        prefillTps: 1_050,
        decodeTps: 30.3,
        ttftMs: 1_200,
        samples: { prefill: 4, decode: 3, ttft: 3 },
        server: { kind: "openai", flavor: "embedded", url: "embedded" },
        lastAt: "2025-06-01T00:00:00.000Z",
      },
      // Learned by a mallex before format 2, and only twice: counts, no number yet, no server.
      { model: "org/coder-30b", profile: "coder", samples: { prefill: 2, decode: 0, ttft: 0 } },
    ]);
  });
});

describe("ttft-rates.json across formats", () => {
  it("reads a format 1 file (no times to first token, no server) and writes it back as format 2", async () => {
    const dir = home();
    const file = ttftRatesPath(dir);
    writeFileSync(
      file,
      JSON.stringify({
        format: 1,
        profiles: { coder: { "org/coder-30b": { prefill: [900, 1000, 1100], decode: [40, 41, 42], tokenRatio: [1.2], sharedPrefix: [0] } } },
      }),
    );
    expect(readMeasuredSpeeds(dir)).toEqual({
      speeds: [{ model: "org/coder-30b", profile: "coder", prefillTps: 1000, decodeTps: 41, samples: { prefill: 3, decode: 3, ttft: 0 } }],
      problems: [],
    });
    const errors: string[] = [];
    const rates = createTtftRates({ file, onError: (line) => errors.push(line), now: () => Date.parse("2025-06-03T00:00:00Z") });
    const profile = { name: "coder", model: "org/coder-30b" };
    expect(rates.get(profile)).toEqual({ prefill: [900, 1000, 1100], decode: [40, 41, 42], tokenRatio: [1.2], sharedPrefix: [0], ttftMs: [] });
    rates.learn(profile, { ttftMs: 700 }, MLX);
    await rates.flush();
    const saved = JSON.parse(readFileSync(file, "utf8")) as { format: number; profiles: Record<string, Record<string, unknown>> };
    expect(saved.format).toBe(2);
    expect(saved.profiles.coder!["org/coder-30b"]).toEqual({
      prefill: [900, 1000, 1100],
      decode: [40, 41, 42],
      tokenRatio: [1.2],
      sharedPrefix: [0],
      ttftMs: [700],
      server: MLX,
      lastAt: "2025-06-03T00:00:00.000Z",
    });
    expect(errors).toEqual([]);
  });

  it("names a file it cannot use and lists nothing, never throwing; no file is no speeds and no problem", () => {
    expect(readMeasuredSpeeds(home())).toEqual({ speeds: [], problems: [] });
    const future = home();
    writeFileSync(ttftRatesPath(future), JSON.stringify({ format: 3, profiles: {} }));
    const read = readMeasuredSpeeds(future);
    expect(read.speeds).toEqual([]);
    expect(read.problems).toEqual([`learned rates in ${ttftRatesPath(future)} ignored, no speeds shown: not a format 2 learned rates file`]);
    const broken = home();
    writeFileSync(
      ttftRatesPath(broken),
      JSON.stringify({
        format: 2,
        profiles: { coder: { m: { prefill: [1], decode: [], tokenRatio: [], sharedPrefix: [], ttftMs: [], server: { kind: "ftp" } } } },
      }),
    );
    expect(readMeasuredSpeeds(broken).problems).toEqual([
      `learned rates in ${ttftRatesPath(broken)} ignored, no speeds shown: coder (m): server kind is not openai or anthropic`,
    ]);
    const directory = home();
    // A folder where the file should be: unreadable, said.
    mkdirSync(ttftRatesPath(directory));
    expect(readMeasuredSpeeds(directory).problems[0]).toMatch(/^learned rates not read from .*ttft-rates\.json: EISDIR/);
  });
});
