import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as nodeLlamaCpp from "node-llama-cpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngineApp } from "../../src/engine/create-engine-app.js";
import { loadEngine, type LoadedEngine } from "../../src/engine/load-engine.js";
import { planEngineContext } from "../../src/engine/plan-engine-context.js";
import { parseGpuSteps } from "../../src/shared/gpu-steps.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/**
 * The engine's context as mallex sees it, with real models (../shared/models): the plan made before it
 * starts, what GET /props says it holds, and what it answers when the context fills or is exceeded.
 * llama-2-tiny-random: random weights rarely write an end-of-turn token, so its answers run until a limit.
 */
const RANDOM = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
const STORIES = sharedPath("models", "stories260K-chatml.gguf");
type Completion = { choices: Array<{ finish_reason: string; message: { content: string } }>; usage: { prompt_tokens: number; completion_tokens: number } };

describeWithShared("embedded engine context: planned before the start, held exactly", () => {
  it("plans the trained context when memory allows, and a capped one padded to llama.cpp's 256; the engine started with it holds exactly that", async () => {
    const stories = await planEngineContext({ modelPath: STORIES, gpuLayers: 0 }, nodeLlamaCpp);
    expect(stories).toMatchObject({ contextSize: 2048, trainContextSize: 2048, limitedBy: "trained context", backend: "cpu", gpuLayers: 0, sequences: 1 });
    expect(stories.freeRamBytes).toBeGreaterThan(0);
    const capped = await planEngineContext({ modelPath: RANDOM, gpuLayers: 0, maxContextSize: 1000, sequences: 2 }, nodeLlamaCpp);
    expect(capped).toMatchObject({ contextSize: 768, trainContextSize: 4096, limitedBy: "profile window", sequences: 2 });
    const engine = await loadEngine({ nodeLlamaCpp, modelPath: RANDOM, threads: 1, gpuLayers: 0, contextSize: capped.contextSize, sequences: 2 });
    try {
      expect(engine.contextSize).toBe(768);
      // The engine's start line says what generates.
      expect(engine.description).toBe("llama-2-tiny-random-chatml.gguf · CPU · 1 thread · context 768 × 2 · ChatML template");
      const app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
      const props = (await (await app.fetch(new Request("http://engine/props"))).json()) as Record<string, unknown>;
      // llama-server's own fields (tools/server/server-context.cpp get_res_props).
      expect(props).toMatchObject({
        default_generation_settings: { n_ctx: 768 },
        total_slots: 2,
        model_alias: "llama-2-tiny-random-chatml.gguf",
        model_path: RANDOM,
      });
    } finally {
      await engine.dispose();
    }
  });
});

describeWithShared("embedded engine after a GPU fallback: the backends it was given, its context planned again", () => {
  it("passes over a CUDA source build that is not there, loads the CPU, and holds what fits there up to --max-ctx-size, padded down", async () => {
    const notes: string[] = [];
    const engine = await loadEngine({
      nodeLlamaCpp,
      modelPath: RANDOM,
      threads: 1,
      backends: parseGpuSteps("cuda:local,cpu"),
      maxContextSize: 1000,
      onNote: (line) => notes.push(line),
    });
    try {
      // Planned on the backend it landed on, as `mallex engine --plan` plans it: 1000 is padded down to llama.cpp's 256.
      expect(engine.contextSize).toBe(768);
      expect(notes[0]).toMatch(/^passed over a local source build of node-llama-cpp for CUDA: /);
      expect(notes.at(-1)).toBe("llama.cpp backend: cpu");
      expect(engine.description).toBe("llama-2-tiny-random-chatml.gguf · CPU · 1 thread · context 768 × 1 · ChatML template");
    } finally {
      await engine.dispose();
    }
  });

  it("a ceiling above the trained context holds the trained context, not the ceiling", async () => {
    const engine = await loadEngine({ nodeLlamaCpp, modelPath: STORIES, threads: 1, backends: parseGpuSteps("cpu"), maxContextSize: 65536 });
    try {
      expect(engine.contextSize).toBe(2048);
    } finally {
      await engine.dispose();
    }
  });
});

it("a plan for a file that is not a GGUF says so, before llama.cpp sees it", async () => {
  const page = join(mkdtempSync(join(tmpdir(), "mallex-plan-")), "model.gguf");
  writeFileSync(page, "<!DOCTYPE html><html>rate limited</html>");
  await expect(planEngineContext({ modelPath: page, gpuLayers: 0 }, nodeLlamaCpp)).rejects.toThrow(/is not a GGUF model file: it starts with "<!DO"/);
});

describeWithShared("embedded engine context: full and exceeded (llama-2-tiny-random, context 512)", () => {
  let engine: LoadedEngine;
  let app: ReturnType<typeof createEngineApp>;
  const lines: string[] = [];
  beforeAll(async () => {
    engine = await loadEngine({ nodeLlamaCpp, modelPath: RANDOM, threads: 1, contextSize: 512, gpuLayers: 0 });
    app = createEngineApp(engine, { log: (line) => lines.push(line), now: () => performance.now() });
  });
  afterAll(() => engine?.dispose());
  const post = (body: object) =>
    app.fetch(
      new Request("http://engine/v1/chat/completions", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    );
  const prompt = (words: number) => ({ messages: [{ role: "user", content: "word ".repeat(words) }], temperature: 0 });

  it("an answer that fills the context ends with length, and prompt + completion tokens are the context", async () => {
    const response = await post({ ...prompt(300) });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Completion;
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.usage.prompt_tokens).toBeGreaterThan(300);
    expect(body.usage.prompt_tokens + body.usage.completion_tokens).toBe(512);
    expect(lines.at(-1)).toMatch(new RegExp(`prompt ${body.usage.prompt_tokens} tok .* out ${body.usage.completion_tokens} tok · length`));
  });

  it("streamed too: the usage chunk says the same", async () => {
    const response = await post({ ...prompt(300), stream: true, stream_options: { include_usage: true } });
    const chunks = (await response.text())
      .split("\n")
      .filter((line) => line.startsWith("data: {"))
      .map((line) => JSON.parse(line.slice(6)) as { choices: Array<{ finish_reason: string | null }>; usage?: Completion["usage"] });
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe("length");
    const usage = chunks.at(-1)!.usage!;
    expect(usage.prompt_tokens + usage.completion_tokens).toBe(512);
  });

  it("a prompt the context cannot hold is a 400 saying the prompt exceeds the context, with llama-server's n_prompt_tokens and n_ctx", async () => {
    const response = await post({ ...prompt(600), max_tokens: 4 });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string; type: string; param: string; n_prompt_tokens: number; n_ctx: number } };
    expect(error.message).toMatch(/^the prompt exceeds the context: the prompt is \d+ tokens and this engine's context holds 512 \(--ctx-size\)/);
    expect(error).toMatchObject({ type: "invalid_request_error", param: "messages", n_ctx: 512 });
    expect(error.n_prompt_tokens).toBeGreaterThan(600);
  });
});
