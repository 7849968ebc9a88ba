/**
 * The facts protocol.md §1 states about mlx-lm.server (read from 0.32.0's source), checked against
 * the real one: mlx-lm 0.32.2 on mlx-cpu 0.32.4 (Linux), serving the model kit's Qwen2.5-Coder-0.5B
 * MLX folder. docs/mlx-lm-server.md tables the results. Prompts are short and max_tokens small: on
 * 2 CPU cores the model prefills ~80 tokens/s and decodes ~8 tokens/s (with OpenBLAS preloaded).
 */
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { kitVenv, startRealMlxServer, type RealMlxServer } from "./helpers/real-mlx-server.js";
import { execFileSync } from "node:child_process";
import { createSupervisor } from "../src/supervisor/create-supervisor.js";

const SAY_HI = [{ role: "user", content: "Say hi." }];
const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Get the current weather for a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

interface Answer {
  status: number;
  contentType: string | null;
  text: string;
}

async function post(server: RealMlxServer, body: unknown): Promise<Answer> {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, contentType: response.headers.get("content-type"), text: await response.text() };
}

/** The `data:` payloads of an SSE body, parsed (except `[DONE]`, kept as a string). */
function events(text: string): unknown[] {
  return text
    .split("\n\n")
    .filter((block) => block.startsWith("data: "))
    .map((block) => block.slice(6))
    .map((data) => (data === "[DONE]" ? data : JSON.parse(data)));
}

type Completion = {
  model: string;
  choices: { finish_reason: string; message: { content: string | null; tool_calls?: unknown[] } }[];
  usage: { prompt_tokens: number; completion_tokens: number; prompt_tokens_details?: { cached_tokens: number } };
};
type Chunk = { object: string; choices: { finish_reason: string | null; delta: Record<string, unknown> }[]; usage?: unknown };

describeWithModelKit("the real mlx_lm.server 0.32.2 (Linux, CPU)", () => {
  let server: RealMlxServer;
  let hfHome: string;

  beforeAll(async () => {
    hfHome = mkdtempSync(join(tmpdir(), "mallex-hf-home-"));
    server = await startRealMlxServer({ env: { HF_HOME: hfHome } });
  }, 150_000);
  afterAll(async () => server?.stop());

  it("is mlx-lm 0.32.2 on mlx 0.32.4's CPU backend; --max-tokens defaults to 512", () => {
    const versions = execFileSync(kit().python, ["-c", "import mlx_lm, mlx.core as mx; print(mlx_lm.__version__, mx.__version__, mx.default_device())"], {
      encoding: "utf8",
    });
    expect(versions.trim()).toBe("0.32.2 0.32.4 Device(cpu, 0)");
    const help = execFileSync(`${kitVenv()}/bin/mlx_lm.server`, ["--help"], { encoding: "utf8" }).replace(/\s+/g, " ");
    expect(help).toContain("--max-tokens MAX_TOKENS Default maximum number of tokens to generate (default: 512)");
  });

  it('/health is 200 {"status": "ok"}; /v1/models is a 200 with an empty body when the Hugging Face cache folder is missing, else lists the --model folder', async () => {
    const health = await fetch(`${server.url.replace(/\/v1$/, "")}/health`);
    expect([health.status, await health.text()]).toEqual([200, '{"status": "ok"}']);
    // scan_cache_dir() raises after the 200 and its headers are out: the body is empty, not JSON.
    const empty = await fetch(`${server.url}/models`);
    expect([empty.status, empty.headers.get("content-type"), await empty.text()]).toEqual([200, "application/json", ""]);
    mkdirSync(join(hfHome, "hub"), { recursive: true });
    const listed = await fetch(`${server.url}/models`);
    expect(await listed.json()).toMatchObject({ object: "list", data: [{ id: kit().mlx_model, object: "model" }] });
  });

  it("without stream: `model` echoes the request (default_model), content is text, usage has cached_tokens, a cut answer is `length`", async () => {
    const answer = await post(server, { messages: SAY_HI, max_tokens: 3 });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as Completion;
    expect(body.model).toBe("default_model");
    expect(body.choices[0]!.finish_reason).toBe("length");
    expect(body.choices[0]!.message.content).toMatch(/\S/);
    expect(body.usage).toMatchObject({ completion_tokens: 3, prompt_tokens: expect.any(Number), prompt_tokens_details: { cached_tokens: expect.any(Number) } });
  }, 60_000);

  it("streamed: keepalive comments, one chunk per token, role in every delta; usage only with stream_options.include_usage, in a chat.completion object with no choices", async () => {
    const plain = await post(server, { messages: SAY_HI, max_tokens: 3, stream: true });
    expect(plain.contentType).toBe("text/event-stream");
    expect(plain.text).toMatch(/^: keepalive \d+\/\d+\n\n/);
    const chunks = events(plain.text);
    expect(chunks.at(-1)).toBe("[DONE]");
    expect(chunks.some((chunk) => typeof chunk === "object" && (chunk as Chunk).usage !== undefined)).toBe(false);
    for (const chunk of chunks.slice(0, -1) as Chunk[]) expect(chunk.choices[0]!.delta.role).toBe("assistant");
    expect((chunks.at(-2) as Chunk).choices[0]!.finish_reason).toBe("length");

    const withUsage = events((await post(server, { messages: SAY_HI, max_tokens: 3, stream: true, stream_options: { include_usage: true } })).text);
    expect(withUsage.at(-2)).toMatchObject({ object: "chat.completion", choices: [], usage: { completion_tokens: 3 } });
    expect(withUsage.at(-1)).toBe("[DONE]");
  }, 60_000);

  it("stream_options without include_usage: the last chunk is sent, then a KeyError closes the stream with no usage and no [DONE]", async () => {
    const answer = await post(server, { messages: SAY_HI, max_tokens: 2, stream: true, stream_options: {} });
    expect(answer.status).toBe(200);
    const chunks = events(answer.text);
    expect((chunks.at(-1) as Chunk).choices[0]!.finish_reason).toBe("length");
    expect(chunks).not.toContain("[DONE]");
    expect(server.output()).toContain("KeyError: 'include_usage'");
  }, 60_000);

  it('a wrong parameter is a 400 with {"error"} (not a silent close, as 0.32.0\'s source read): max_tokens 0, a string temperature, an int xtc_probability, no messages', async () => {
    const cases: [unknown, string][] = [
      [{ messages: SAY_HI, max_tokens: 0 }, "max_tokens must be at least 1"],
      [{ messages: SAY_HI, max_tokens: 2, temperature: "x" }, "temperature must be of type ('float', 'int')"],
      [{ messages: SAY_HI, max_tokens: 2, xtc_probability: 0 }, "xtc_probability must be of type float"],
      [{ max_tokens: 2 }, "Request did not contain messages"],
      [{ messages: SAY_HI, max_tokens: 2, model: 7 }, "requested_model must be of type str"],
    ];
    for (const [body, error] of cases) {
      const answer = await post(server, body);
      expect([answer.status, answer.contentType, JSON.parse(answer.text)], JSON.stringify(body)).toEqual([400, "application/json", { error }]);
    }
  });

  it("any other `model` is loaded as a Hub repo: with HF_HUB_OFFLINE=1 a 404 at once; the served model is dropped first and the next request loads it again", async () => {
    const claude = await post(server, { model: "claude-sonnet-4-6", messages: SAY_HI, max_tokens: 2 });
    expect(claude.status).toBe(404);
    expect(JSON.parse(claude.text).error).toMatch(
      /^Cannot find an appropriate cached snapshot folder for the specified revision on the local disk and outgoing traffic has been disabled/,
    );
    const again = await post(server, { messages: SAY_HI, max_tokens: 2 });
    expect(again.status).toBe(200);
  }, 120_000);

  it("fields it does not know (tool_choice, response_format, n, user, anything) are ignored", async () => {
    const answer = await post(server, {
      messages: SAY_HI,
      max_tokens: 2,
      tool_choice: "required",
      response_format: { type: "json_object" },
      n: 3,
      user: "u",
      parallel_tool_calls: false,
      frobnicate: { a: 1 },
    });
    expect(answer.status).toBe(200);
    expect((JSON.parse(answer.text) as Completion).choices).toHaveLength(1);
  }, 60_000);

  it("its prompt cache: the same prompt again is served from cache (cached_tokens = prompt_tokens - 1) and its log counts the sequences", async () => {
    const messages = [{ role: "user", content: "Name a prime number between 10 and 20." }];
    const first = JSON.parse((await post(server, { messages, max_tokens: 2 })).text) as Completion;
    const second = JSON.parse((await post(server, { messages, max_tokens: 2 })).text) as Completion;
    expect(second.usage.prompt_tokens).toBe(first.usage.prompt_tokens);
    // The whole prompt but its last token: that one is fed again to get the first logits.
    expect(second.usage.prompt_tokens_details?.cached_tokens).toBe(second.usage.prompt_tokens - 1);
    expect(server.output()).toMatch(/INFO - Prompt Cache: [1-9]\d* sequences, [\d.]+ GB/);
  }, 60_000);

  it("two requests at once are batched: both stream, their chunks interleave in time, both end with [DONE]", async () => {
    const started = Date.now();
    const times: number[][] = [[], []];
    const stream = async (index: number, content: string) => {
      const response = await fetch(`${server.url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ messages: [{ role: "user", content }], max_tokens: 6, stream: true }),
      });
      const reader = response.body!.getReader();
      let text = "";
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        times[index]!.push(Date.now() - started);
      }
      return text;
    };
    const [a, b] = await Promise.all([stream(0, "Count to five."), stream(1, "Name three colours.")]);
    expect(events(a).at(-1)).toBe("[DONE]");
    expect(events(b).at(-1)).toBe("[DONE]");
    // One finished before the other started would give disjoint time ranges.
    expect(Math.min(...times[0]!)).toBeLessThan(Math.max(...times[1]!));
    expect(Math.min(...times[1]!)).toBeLessThan(Math.max(...times[0]!));
  }, 90_000);

  it("the 0.5B coder answers a tool request with the call's JSON as plain content (never Qwen's <tool_call> marker), so mlx-lm's json_tools parser returns no tool_calls: finish `stop`", async () => {
    const answer = JSON.parse(
      (await post(server, { messages: [{ role: "user", content: "What is the weather in Paris?" }], tools: [WEATHER_TOOL], max_tokens: 40, temperature: 0 }))
        .text,
    ) as Completion;
    const choice = answer.choices[0]!;
    expect(choice.finish_reason).toBe("stop");
    expect(choice.message.tool_calls).toBeUndefined();
    expect(choice.message.content).toMatch(/"name": "get_weather"/);
    expect(choice.message.content).toMatch(/"city": "Paris"/);
  }, 90_000);

  it("inside <tool_call> nothing is streamed, and a call cut by max_tokens is dropped: content null, no tool_calls, finish `length` (the marker forced with logit_bias)", async () => {
    const body = {
      messages: [{ role: "user", content: "What is the weather in Paris?" }],
      tools: [WEATHER_TOOL],
      max_tokens: 6,
      temperature: 0,
      logit_bias: { "151657": 25 },
    };
    const whole = JSON.parse((await post(server, body)).text) as Completion;
    expect(whole.choices[0]).toMatchObject({ finish_reason: "length", message: { content: null } });
    expect(whole.choices[0]!.message.tool_calls).toBeUndefined();
    const streamed = events((await post(server, { ...body, stream: true })).text) as Chunk[];
    expect(streamed.slice(0, -1).map((chunk) => chunk.choices[0]!.delta)).toEqual([{ role: "assistant" }]);
    expect(streamed[0]!.choices[0]!.finish_reason).toBe("length");
    expect(server.output()).toMatch(/Failed to parse tool call/);
  }, 90_000);
});

describeWithModelKit("the real mlx_lm.server without HF_HUB_OFFLINE", () => {
  let server: RealMlxServer;
  let hub: Server;
  const asked: string[] = [];

  beforeAll(async () => {
    // A Hub that knows no repository, as huggingface.co answers for one that does not exist.
    hub = createServer((request, response) => {
      asked.push(`${request.method} ${request.url}`);
      response.writeHead(401, { "content-type": "application/json", "x-error-code": "RepoNotFound" }).end('{"error":"Repository Not Found"}');
    });
    await new Promise<void>((resolve) => hub.listen(0, "127.0.0.1", resolve));
    const endpoint = `http://127.0.0.1:${(hub.address() as AddressInfo).port}`;
    server = await startRealMlxServer({ offline: false, env: { HF_ENDPOINT: endpoint, HF_HOME: mkdtempSync(join(tmpdir(), "mallex-hf-home-")) } });
  }, 150_000);
  afterAll(async () => {
    await server?.stop();
    hub?.close();
  });

  it("a Claude model name makes it ask the Hub for that repo, and its refusal comes back as a 404", async () => {
    const answer = await post(server, { model: "claude-sonnet-4-6", messages: SAY_HI, max_tokens: 2 });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text).error).toMatch(
      /^401 Client Error\.\n\nRepository Not Found for url: http:\/\/127\.0\.0\.1:\d+\/api\/models\/claude-sonnet-4-6\/revision\/main\./,
    );
    expect(asked).toContain("GET /api/models/claude-sonnet-4-6/revision/main");
  }, 60_000);
});

describeWithModelKit("mallex's supervisor and the real mlx_lm.server, whose model cannot load", () => {
  // What test/fakes/generation-thread-died.js stands for: its model loads in a thread, which dies;
  // every request is then a 404 "generation thread died", and only its output says why.
  it("the start fails quoting the exception its traceback ends with", async () => {
    const supervisor = createSupervisor(
      {
        key: "mlx--real",
        command: `${join(kitVenv(), "bin", "mlx_lm.server")} --model /nowhere/model --host {host} --port {port}`,
        model: "/nowhere/model",
        install: [],
        env: { HF_HUB_OFFLINE: "1" },
        readiness: { probe: "generate", timeoutMs: 90_000 },
        idleUnloadMs: 0,
        wedgeTimeoutMs: 0,
        maxRestarts: 0,
        restartWindowMs: 60_000,
      },
      { mallexHome: mkdtempSync(join(tmpdir(), "mallex-real-refusal-")), stopTimeoutMs: 2000, onEvent: () => {} },
    );
    try {
      const error = (await supervisor.ensureReady().catch((e: unknown) => e)) as Error;
      expect(error.message).toMatch(
        /^The model server mlx--real did not become ready: it answered the test request with 404: generation thread died \(its output: huggingface_hub\.errors\.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace\/repo_name': '\/nowhere\/model'\. Use `repo_type` argument if needed\.\)\. Check the model id/,
      );
      expect(supervisor.state).toBe("failed");
    } finally {
      await supervisor.stop();
    }
  }, 120_000);
});
