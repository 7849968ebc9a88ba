import * as nodeLlamaCpp from "node-llama-cpp";
import { expect, it } from "vitest";
import { createEngineApp } from "../../src/engine/create-engine-app.js";
import { loadEngine, type EngineOptions } from "../../src/engine/load-engine.js";
import { parseSSE } from "../fakes/read-sse.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/**
 * Speculative decoding in the embedded engine changes its speed, never its greedy answer: prompt
 * lookup, and a draft model (here the model itself, so every guess is taken). Real tokens from a tiny
 * real model (stories260K); the speed on the kit's 1.5B coder is in `npm run bench:speculative`.
 */
const STORIES = sharedPath("models", "stories260K-chatml.gguf");

async function greedy(speculation: EngineOptions["speculation"]) {
  const engine = await loadEngine({ nodeLlamaCpp, modelPath: STORIES, threads: 1, contextSize: 2048, gpuLayers: 0, ...(speculation ? { speculation } : {}) });
  try {
    const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
    const response = await app.fetch(
      new Request("http://engine/v1/chat/completions", {
        method: "POST",
        body: JSON.stringify({
          messages: [{ role: "user", content: "Once upon a time there was a little girl named Lily. She liked to play in the park with her dog." }],
          temperature: 0,
          max_tokens: 120,
          stream: true,
          stream_options: { include_usage: true },
        }),
      }),
    );
    const chunks = parseSSE(await response.text())
      .map((event) => event.data)
      .filter((data) => data !== "[DONE]")
      .map((data) => JSON.parse(data) as { choices: Array<{ delta: { content?: string } }>; usage?: { completion_tokens: number } });
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("");
    return { text, tokens: chunks.find((chunk) => chunk.usage)?.usage?.completion_tokens, description: engine.description };
  } finally {
    await engine.dispose();
  }
}

describeWithShared("the embedded engine's speculative decoding", () => {
  it("prompt lookup and a draft model give the plain greedy answer and its token count, and the engine says which it runs", async () => {
    const plain = await greedy(undefined);
    expect(plain.text.length).toBeGreaterThan(50);
    expect(plain.tokens).toBe(120);
    const lookup = await greedy({ kind: "lookup" });
    expect(lookup.text).toBe(plain.text);
    // The tokens answered, not the guesses checked and dropped on the way.
    expect(lookup.tokens).toBe(120);
    expect(lookup.description).toContain("· prompt lookup");
    const draft = await greedy({ kind: "draft", modelPath: STORIES });
    expect(draft.text).toBe(plain.text);
    expect(draft.tokens).toBe(120);
    expect(draft.description).toContain("· draft stories260K-chatml.gguf");
  });
});
