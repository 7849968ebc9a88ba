import { Ajv } from "ajv";
import * as nodeLlamaCpp from "node-llama-cpp";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createEngineApp } from "../../src/engine/create-engine-app.js";
import { loadEngine, type LoadedEngine } from "../../src/engine/load-engine.js";
import { parseSSE } from "../fakes/read-sse.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/**
 * The embedded engine with real models (../shared/models): real tokens from llama.cpp through
 * node-llama-cpp's prebuilt CPU binary, served by the engine's own h3 app (app.fetch, no port).
 * One thread: on a 2-vCPU machine more threads slow a tiny model down (../shared/models/README.md).
 */
type Chunk = { choices: Array<{ delta: Record<string, unknown>; finish_reason: string | null }>; usage?: Usage };
type Usage = { prompt_tokens: number; completion_tokens: number; prompt_tokens_details: { cached_tokens: number } };

async function post(app: ReturnType<typeof createEngineApp>, body: object, signal?: AbortSignal) {
  return app.fetch(
    new Request("http://engine/v1/chat/completions", {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json" },
      ...(signal ? { signal } : {}),
    }),
  );
}

async function streamed(app: ReturnType<typeof createEngineApp>, body: object) {
  const response = await post(app, { ...body, stream: true, stream_options: { include_usage: true } });
  expect(response.status).toBe(200);
  const text = await response.text();
  expect(text.trimEnd().endsWith("data: [DONE]")).toBe(true);
  const chunks = parseSSE(text)
    .map((e) => e.data)
    .filter((d) => d !== "[DONE]")
    .map((d) => JSON.parse(d) as Chunk);
  return {
    chunks,
    text: chunks.map((c) => (c.choices[0]?.delta.content as string | undefined) ?? "").join(""),
    finish: chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason,
    usage: chunks.at(-1)?.usage,
  };
}

const story = (content: string) => ({
  messages: [
    { role: "system", content: "You tell short stories." },
    { role: "user", content },
  ],
  temperature: 0,
});

describeWithShared("embedded engine: stories260K (real weights)", () => {
  let engine: LoadedEngine;
  let app: ReturnType<typeof createEngineApp>;
  const lines: string[] = [];
  beforeAll(async () => {
    engine = await loadEngine({ nodeLlamaCpp, modelPath: sharedPath("models", "stories260K-chatml.gguf"), threads: 1, contextSize: 2048, gpuLayers: 0 });
    app = createEngineApp(engine, { log: (line) => lines.push(line), now: () => performance.now() });
  });
  afterAll(() => engine?.dispose());

  it("answers a whole completion with usage and the length finish reason at max_tokens", async () => {
    const response = await post(app, { ...story("Once upon a time"), max_tokens: 12 });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      object: string;
      model: string;
      choices: Array<{ message: { role: string; content: string }; finish_reason: string }>;
      usage: Usage;
    };
    expect(body.object).toBe("chat.completion");
    expect(body.model).toBe("stories260K-chatml.gguf");
    expect(body.choices[0]!.message.role).toBe("assistant");
    expect(body.choices[0]!.message.content.length).toBeGreaterThan(0);
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(12);
    expect(body.usage.prompt_tokens).toBeGreaterThan(10);
  });

  // This model never writes an end-of-text token after a chat template (it was trained on bare
  // stories), so its natural end here is the end of a sentence.
  it("streams text chunk by chunk, ends with stop at a stop string, and reports usage", async () => {
    const result = await streamed(app, { ...story("Tom had a red ball."), max_tokens: 1500, stop: ["."] });
    expect(result.chunks[0]!.choices[0]!.delta.role).toBe("assistant");
    expect(result.chunks.filter((c) => c.choices[0]?.delta.content).length).toBeGreaterThan(3);
    expect(result.finish).toBe("stop");
    expect(result.usage!.completion_tokens).toBeGreaterThan(3);
    expect(result.usage!.completion_tokens).toBeLessThan(1500);
    expect(result.text).not.toContain(".");
  });

  it("is deterministic at temperature 0, streamed or not", async () => {
    const a = await streamed(app, { ...story("Lily saw a cat."), max_tokens: 40 });
    const b = await streamed(app, { ...story("Lily saw a cat."), max_tokens: 40 });
    const whole = (await (await post(app, { ...story("Lily saw a cat."), max_tokens: 40 })).json()) as { choices: Array<{ message: { content: string } }> };
    expect(a.text).toBe(b.text);
    expect(whole.choices[0]!.message.content).toBe(a.text);
  });

  it("reuses the KV cache of the previous turn when the new prompt extends it", async () => {
    const first = await streamed(app, { ...story("The sun was hot."), max_tokens: 20 });
    const second = await streamed(app, {
      messages: [...story("The sun was hot.").messages, { role: "assistant", content: first.text }, { role: "user", content: "What happened next?" }],
      temperature: 0,
      max_tokens: 8,
    });
    expect(second.usage!.prompt_tokens).toBeGreaterThan(first.usage!.prompt_tokens);
    // Everything up to the previous answer was already evaluated.
    expect(second.usage!.prompt_tokens_details.cached_tokens).toBeGreaterThanOrEqual(first.usage!.prompt_tokens);
  });

  it("prefills a long prompt in pieces, each said as an SSE comment before the answer, and answers as one prefill would", async () => {
    // A second engine whose pieces are larger than any prompt here: LlamaChat prefills alone.
    const whole = await loadEngine({
      nodeLlamaCpp,
      modelPath: sharedPath("models", "stories260K-chatml.gguf"),
      threads: 1,
      contextSize: 2048,
      gpuLayers: 0,
      prefillPieceTokens: 4096,
    });
    try {
      const long = { ...story(`Tom had a red ball. ${"He kicked it far and ran after it. ".repeat(60)}What did Tom do?`), max_tokens: 16, stream: true };
      const response = await post(app, long);
      const text = await response.text();
      const progress = [...text.matchAll(/^: prefill (\d+)\/(\d+)$/gm)].map((m) => [Number(m[1]), Number(m[2])]);
      const total = progress[0]![1]!;
      expect(total).toBeGreaterThan(1024);
      // Every 512 tokens (the default piece) after what was cached, up to all but the last token, which LlamaChat evaluates.
      const done = progress.map(([evaluated]) => evaluated!);
      expect(done.at(-1)).toBe(total - 1);
      expect(
        done
          .slice(1)
          .map((n, i) => n - done[i]!)
          .slice(0, -1),
      ).toEqual(Array(done.length - 2).fill(512));
      expect(done.length).toBeGreaterThanOrEqual(2);
      expect(text.indexOf(": prefill")).toBeLessThan(text.indexOf('"content":"', text.indexOf('"content":""') + 12));
      const pieced = await streamed(app, { ...long, stream: undefined });
      const alone = await streamed(createEngineApp(whole, { log: () => {}, now: () => performance.now() }), { ...long, stream: undefined });
      expect(alone.usage!.prompt_tokens_details.cached_tokens).toBe(0);
      expect(pieced.text).toBe(alone.text);
      expect(pieced.text.length).toBeGreaterThan(0);
    } finally {
      await whole.dispose();
    }
  });

  it("queues requests beyond its one sequence and serves them all", async () => {
    const answers = await Promise.all(["A dog ran.", "A bird sang.", "A fish swam."].map((p) => streamed(app, { ...story(p), max_tokens: 10 })));
    for (const answer of answers) expect(answer.usage!.completion_tokens).toBe(10);
  });

  it("stops generating when the client goes away, and serves the next request", async () => {
    const controller = new AbortController();
    const response = await post(app, { ...story("Once upon a time"), stream: true, max_tokens: 1500, temperature: 1, seed: 1 }, controller.signal);
    const reader = response.body!.getReader();
    await reader.read();
    await reader.read();
    controller.abort();
    await reader.cancel().catch(() => undefined);
    const next = await streamed(app, { ...story("Ben"), max_tokens: 5 });
    expect(next.usage!.completion_tokens).toBe(5);
    expect(lines.some((line) => /^stream · client went away after \d+ characters in \d+\.\d\d s: generation stopped$/.test(line))).toBe(true);
  });

  it("a whole answer's client that goes away: one line with what was generated, no stack trace, and the next request served", async () => {
    const controller = new AbortController();
    const before = lines.length;
    const answering = post(app, { ...story("Once upon a time"), max_tokens: 1500, temperature: 1, seed: 1 }, controller.signal);
    setTimeout(() => controller.abort(), 300);
    // Nobody reads it (mallex hung up): 499, the status proxies log a client's hang-up with.
    expect((await answering).status).toBe(499);
    const written = lines.slice(before);
    expect(written).toEqual([expect.stringMatching(/^request · client went away after \d+ characters in \d+\.\d\d s: generation stopped$/)]);
    const next = await streamed(app, { ...story("Ben"), max_tokens: 5 });
    expect(next.usage!.completion_tokens).toBe(5);
  });

  it("honours stop strings", async () => {
    const free = await streamed(app, { ...story("Once upon a time"), max_tokens: 60 });
    const word = free.text.split(/\s+/).filter((w) => w.length > 3)[2]!;
    const stopped = await streamed(app, { ...story("Once upon a time"), max_tokens: 60, stop: [word] });
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(word)));
    expect(stopped.finish).toBe("stop");
  });

  it("answers bad requests with an OpenAI-shaped 400 naming the field", async () => {
    const cases: Array<[object, string]> = [
      [{ messages: [] }, "messages"],
      [{ messages: [{ role: "robot", content: "x" }] }, "messages[0].role"],
      [{ messages: [{ role: "user", content: "x" }], temperature: 7 }, "temperature"],
      [{ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "data:" } }] }] }, "messages[0].content[0]"],
      [{ messages: [{ role: "user", content: "x" }], tool_choice: "required" }, "tool_choice"],
      [{ messages: [{ role: "tool", tool_call_id: "nope", content: "x" }] }, "messages[0].tool_call_id"],
    ];
    for (const [body, param] of cases) {
      const response = await post(app, body);
      expect(response.status).toBe(400);
      const error = ((await response.json()) as { error: { type: string; param: string; message: string } }).error;
      expect(error.type).toBe("invalid_request_error");
      expect(error.param).toBe(param);
    }
    const notJson = await app.fetch(new Request("http://engine/v1/chat/completions", { method: "POST", body: "{" }));
    expect(notJson.status).toBe(400);
  });

  it("refuses a prompt longer than its context with a sentence, not a silent cut", async () => {
    for (const stream of [false, true]) {
      const response = await post(app, { messages: [{ role: "user", content: "word ".repeat(5000) }], max_tokens: 4, stream });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/context holds 2048/);
    }
  });

  it("lists its model and answers health", async () => {
    expect(await (await app.fetch(new Request("http://engine/health"))).json()).toEqual({ status: "ok" });
    const models = (await (await app.fetch(new Request("http://engine/v1/models"))).json()) as { data: Array<{ id: string }> };
    expect(models.data.map((m) => m.id)).toEqual(["stories260K-chatml.gguf"]);
  });
});

describeWithShared("embedded engine: grammar-constrained tool calls (llama-2-tiny-random, random weights)", () => {
  let engine: LoadedEngine;
  let app: ReturnType<typeof createEngineApp>;
  beforeAll(async () => {
    engine = await loadEngine({
      nodeLlamaCpp,
      modelPath: sharedPath("models", "llama-2-tiny-random-chatml.gguf"),
      threads: 1,
      contextSize: 4096,
      gpuLayers: 0,
    });
    app = createEngineApp(engine, { log: () => undefined, now: () => performance.now() });
  });
  afterAll(() => engine?.dispose());

  const write = {
    type: "function",
    function: {
      name: "Write",
      description: "Write a file",
      parameters: {
        $schema: "http://json-schema.org/draft-07/schema#",
        type: "object",
        properties: { file_path: { type: "string", maxLength: 40 }, mode: { type: "string", enum: ["create", "overwrite"] }, lines: { type: "integer" } },
        required: ["file_path", "mode"],
        additionalProperties: false,
      },
    },
  };
  const read = {
    type: "function",
    function: { name: "Read", parameters: { type: "object", properties: { path: { type: "string", maxLength: 20 } }, required: ["path"] } },
  };
  const validWrite = new Ajv({ strict: false }).compile(write.function.parameters);

  it("a forced call (tool_choice naming the tool) is valid against the tool's schema by construction, streamed and not", async () => {
    for (const stream of [false, true]) {
      const body = {
        messages: [{ role: "user", content: "write the file" }],
        tools: [write, read],
        tool_choice: { type: "function", function: { name: "Write" } },
        max_tokens: 400,
        temperature: 0.7,
        seed: 3,
        stream,
        stream_options: { include_usage: true },
      };
      const response = await post(app, body);
      expect(response.status).toBe(200);
      let call: { name: string; arguments: string };
      let finish: string | null | undefined;
      if (stream) {
        const chunks = parseSSE(await response.text())
          .map((e) => e.data)
          .filter((d) => d !== "[DONE]")
          .map((d) => JSON.parse(d) as Chunk);
        const calls = chunks.flatMap((c) => (c.choices[0]?.delta.tool_calls as Array<{ function: { name: string; arguments: string } }> | undefined) ?? []);
        expect(calls).toHaveLength(1);
        call = calls[0]!.function;
        finish = chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason;
        expect(chunks.some((c) => c.choices[0]?.delta.content)).toBe(false);
      } else {
        const json = (await response.json()) as {
          choices: Array<{
            message: { tool_calls: Array<{ id: string; type: string; function: { name: string; arguments: string } }> };
            finish_reason: string;
          }>;
        };
        const calls = json.choices[0]!.message.tool_calls;
        expect(calls).toHaveLength(1);
        expect(calls[0]!.type).toBe("function");
        expect(calls[0]!.id).toMatch(/^call_/);
        call = calls[0]!.function;
        finish = json.choices[0]!.finish_reason;
      }
      expect(call.name).toBe("Write");
      const args = JSON.parse(call.arguments) as unknown;
      expect(validWrite(args), JSON.stringify(validWrite.errors)).toBe(true);
      expect(finish).toBe("tool_calls");
    }
  });

  it("tool_choice required picks one of the tools, with that tool's arguments", async () => {
    const response = await post(app, {
      messages: [{ role: "user", content: "go" }],
      tools: [write, read],
      tool_choice: "required",
      max_tokens: 400,
      temperature: 0.9,
      seed: 11,
    });
    const json = (await response.json()) as { choices: Array<{ message: { tool_calls: Array<{ function: { name: string; arguments: string } }> } }> };
    const call = json.choices[0]!.message.tool_calls[0]!.function;
    expect(["Write", "Read"]).toContain(call.name);
    const args = JSON.parse(call.arguments) as Record<string, unknown>;
    if (call.name === "Write") expect(validWrite(args)).toBe(true);
    else expect(typeof args.path).toBe("string");
  });

  it("response_format json_schema makes even random weights answer matching JSON", async () => {
    const schema = { type: "object", properties: { title: { type: "string", maxLength: 12 } }, required: ["title"], additionalProperties: false };
    const response = await post(app, {
      messages: [{ role: "user", content: "title?" }],
      response_format: { type: "json_schema", json_schema: { name: "t", schema } },
      max_tokens: 200,
      temperature: 0,
    });
    const json = (await response.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }> };
    const answer = JSON.parse(json.choices[0]!.message.content) as unknown;
    expect(new Ajv().compile(schema)(answer)).toBe(true);
    expect(json.choices[0]!.finish_reason).toBe("stop");
  });

  it("renders a conversation with earlier tool calls and their results", async () => {
    const response = await post(app, {
      messages: [
        { role: "user", content: "read a" },
        { role: "assistant", content: "", tool_calls: [{ id: "call_1", type: "function", function: { name: "Read", arguments: '{"path":"a"}' } }] },
        { role: "tool", tool_call_id: "call_1", content: "contents of a" },
      ],
      tools: [write, read],
      max_tokens: 5,
      temperature: 0,
    });
    expect(response.status).toBe(200);
    const json = (await response.json()) as { usage: Usage };
    expect(json.usage.prompt_tokens).toBeGreaterThan(20);
  });
});
