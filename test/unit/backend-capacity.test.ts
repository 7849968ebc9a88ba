import { describe, expect, it } from "vitest";
import { backendCapacity, defaultInFlight } from "../../src/backends/backend-capacity.js";

describe("backendCapacity", () => {
  it("takes the user's setting first, whatever the server says", () => {
    expect(
      backendCapacity({ flavor: "llama-server", set: { maxInFlight: 1, maxWaiting: 2 }, facts: { parallel: 8, source: "llama-server GET /props" } }),
    ).toEqual({
      maxInFlight: 1,
      maxWaiting: 2,
      source: "set",
      waitingSource: "set",
    });
  });

  it("then what the server said it runs at once, with the waiting limit following it", () => {
    expect(backendCapacity({ flavor: "llama-server", set: {}, facts: { parallel: 8, contextWindow: 4096, source: "llama-server GET /props" } })).toEqual({
      maxInFlight: 8,
      maxWaiting: 32,
      source: "server: llama-server GET /props",
      waitingSource: "4 × in flight, at least 16",
    });
    // A server that says nothing of its parallelism leaves the flavor's default.
    expect(backendCapacity({ flavor: "llama-server", set: {}, facts: { contextWindow: 4096, source: "llama-server GET /props" } })).toMatchObject({
      maxInFlight: 4,
      source: "default for llama-server",
    });
  });

  it("then the flavor's default, with at least 16 waiting", () => {
    expect(backendCapacity({ flavor: "mlx-lm", set: {} })).toEqual({
      maxInFlight: 32,
      maxWaiting: 128,
      source: "default for mlx-lm",
      waitingSource: "4 × in flight, at least 16",
    });
    expect(backendCapacity({ flavor: "embedded", set: {} })).toEqual({
      maxInFlight: 1,
      maxWaiting: 16,
      source: "default for embedded",
      waitingSource: "4 × in flight, at least 16",
    });
    // A waiting limit set alone keeps the in-flight default, and the other way round.
    expect(backendCapacity({ flavor: "mlx-lm", set: { maxWaiting: 0 } })).toMatchObject({ maxInFlight: 32, maxWaiting: 0, waitingSource: "set" });
    expect(backendCapacity({ flavor: "mlx-lm", set: { maxInFlight: 2 } })).toMatchObject({ maxInFlight: 2, maxWaiting: 16, source: "set" });
  });

  it("knows each flavor's own figure", () => {
    const none: never[] = [];
    expect(defaultInFlight("mlx-lm", none)).toBe(32);
    expect(defaultInFlight("llama-server", none)).toBe(4);
    expect(defaultInFlight("vllm", none)).toBe(256);
    for (const flavor of ["ollama", "lmstudio", "exo", "openrouter", "generic"]) expect(defaultInFlight(flavor, none)).toBe(64);
  });

  it("serves mlx-lm one at a time when a profile of it has a draft model (it cannot batch then), and the engine at its sequences", () => {
    const draft = [{}, { draftModel: "mlx-community/Qwen2.5-0.5B-Instruct-4bit" }];
    // Its facts can only say the --decode-concurrency default, which a draft model leaves unused.
    expect(
      backendCapacity({ flavor: "mlx-lm", set: {}, facts: { parallel: 32, source: "mlx-lm 0.32 --decode-concurrency default" }, profiles: draft }),
    ).toMatchObject({ maxInFlight: 1, source: "mlx-lm with a draft model serves one at a time" });
    expect(backendCapacity({ flavor: "mlx-lm", set: { maxInFlight: 3 }, profiles: draft })).toMatchObject({ maxInFlight: 3, source: "set" });
    expect(defaultInFlight("embedded", [{ engine: { sequences: 2 } }, { engine: { sequences: 4 } }, {}])).toBe(4);
  });
});
