import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Ajv } from "ajv";
import { execa, execaSync } from "execa";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseSSE } from "./fakes/read-sse.js";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { startFakeHuggingFace } from "./fakes/fake-hugging-face.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";
import { compactWindowFor } from "../src/cli/claude-code/claude-context-env.js";
import { inConfigFile } from "../src/shared/in-config-file.js";

/**
 * `--embedded PATH.gguf` end to end, as processes: mallex supervises its own engine (node-llama-cpp's
 * prebuilt CPU binary) running a tiny real model from ../shared/models; no model server installed.
 */
const STORIES = sharedPath("models", "stories260K-chatml.gguf");
const RANDOM = sharedPath("models", "llama-2-tiny-random-chatml.gguf");

type Event = { type: string; [key: string]: unknown };

/** The token mallex gave the engine listening at `url`: its environment in /proc (Linux, this user's own process). */
function engineToken(url: string): string {
  const port = new URL(url).port;
  const pids = execaSync("pgrep", ["-f", `engine --model .*--port ${port}( |$)`], { reject: false })
    .stdout.split("\n")
    .filter(Boolean);
  for (const pid of pids) {
    const environ = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const token = environ.find((entry) => entry.startsWith("MALLEX_ENGINE_TOKEN="));
    if (token !== undefined) return token.slice("MALLEX_ENGINE_TOKEN=".length);
  }
  throw new Error(`no engine process with a token listens on ${url}`);
}
const processesMatching = async (pattern: string) => (await execa("pgrep", ["-f", pattern], { reject: false })).stdout.split("\n").filter(Boolean);

async function messages(proxy: MallexProxyProcess, body: object) {
  return fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "local", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
}

describeWithShared("mallex proxy --embedded (real tiny models)", () => {
  let stories: MallexProxyProcess;
  let random: MallexProxyProcess;
  beforeAll(async () => {
    [stories, random] = await Promise.all([
      startProxyProcess(["--embedded", STORIES, "--threads", "1", "--ctx-size", "4096"]),
      startProxyProcess(["--embedded", RANDOM, "--threads", "1", "--ctx-size", "4096"]),
    ]);
  });
  afterAll(async () => {
    await Promise.all([stories?.stop(), random?.stop()]);
  });

  const ask = (text: string, extra: object = {}) => ({
    model: "qwen2.5-coder-7b",
    max_tokens: 24,
    temperature: 0,
    messages: [{ role: "user", content: text }],
    ...extra,
  });

  it("streams a real model's answer as Anthropic SSE, with usage and max_tokens, the same twice at temperature 0", async () => {
    const run = async () => {
      const response = await messages(stories, ask("Once upon a time", { stream: true }));
      expect(response.status).toBe(200);
      const events = parseSSE(await response.text()).map((e) => JSON.parse(e.data) as Event);
      expect(events[0]!.type).toBe("message_start");
      expect(events.at(-1)!.type).toBe("message_stop");
      const text = events
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { text: string }).text)
        .join("");
      const delta = events.find((e) => e.type === "message_delta") as unknown as {
        delta: { stop_reason: string };
        usage: { output_tokens: number; input_tokens: number; cache_read_input_tokens: number };
      };
      return { text, delta };
    };
    const first = await run();
    expect(first.text.length).toBeGreaterThan(5);
    expect(first.delta.delta.stop_reason).toBe("max_tokens");
    expect(first.delta.usage.output_tokens).toBe(24);
    const second = await run();
    expect(second.text).toBe(first.text);
    // The whole prompt was cached by the first request but for the last token.
    expect(second.delta.usage.cache_read_input_tokens).toBeGreaterThan(0);
    expect(stories.output()).toMatch(/embedded--.*stories260K-chatml\.gguf.*: ready at http:\/\/127\.0\.0\.1:\d+\/v1/);
  });

  it("names the GGUF that answers, not the profile it stands in for: the request log, the dashboard's requests and contexts, /v1/models", async () => {
    const response = await messages(random, ask("Hello"));
    expect(response.status).toBe(200);
    const id = response.headers.get("request-id")!;
    await expect.poll(() => random.output()).toMatch(new RegExp(`qwen2\\.5-coder-7b → qwen2\\.5-coder-7b on llama-2-tiny-random-chatml \\(.* · ${id}`));
    const snapshot = (await (await fetch(`${random.url}/ui/api/snapshot`)).json()) as {
      requests: Array<{ id: string; profile: string; served?: string }>;
      contexts: Array<{ profile: string; served?: string }>;
    };
    expect(snapshot.requests.find((r) => r.id === id)).toMatchObject({ profile: "qwen2.5-coder-7b", served: "llama-2-tiny-random-chatml" });
    expect(snapshot.contexts.length).toBeGreaterThan(0);
    for (const context of snapshot.contexts) expect(context.served).toBe("llama-2-tiny-random-chatml");
    // The profile's description is of the model it declares: the one served is named instead.
    const model = (await (
      await fetch(`${random.url}/v1/models/qwen2.5-coder-7b`, { headers: { "x-api-key": "local", "anthropic-version": "2023-06-01" } })
    ).json()) as { display_name: string };
    expect(model.display_name).toBe("llama-2-tiny-random-chatml");
  });

  it("the engine it started answers mallex (readiness, /props, requests all carry its token) and refuses anyone else", async () => {
    expect((await messages(stories, ask("Once upon a time"))).status).toBe(200);
    const engineUrl = /: ready at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(stories.output())![1]!;
    const refused = await fetch(`${engineUrl}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(ask("hi")),
    });
    expect(refused.status).toBe(401);
    expect((await fetch(`${engineUrl}/props`)).status).toBe(401);
    // The token is in no line mallex printed.
    expect(stories.output()).not.toMatch(/Bearer [A-Za-z0-9_-]{20,}/);
  });

  it("answers without streaming, and ends the turn at a stop sequence", async () => {
    const response = await messages(stories, ask("Tom had a red ball.", { max_tokens: 400, stop_sequences: ["."] }));
    expect(response.status).toBe(200);
    const message = (await response.json()) as { content: Array<{ type: string; text: string }>; stop_reason: string; usage: { output_tokens: number } };
    expect(message.content[0]!.type).toBe("text");
    expect(message.content[0]!.text).not.toContain(".");
    expect(["end_turn", "stop_sequence"]).toContain(message.stop_reason);
    expect(message.usage.output_tokens).toBeLessThan(400);
  });

  it("a forced tool call from a random-weight model is a tool_use block valid against the tool's schema", async () => {
    const schema = {
      type: "object",
      properties: { file_path: { type: "string", maxLength: 30 }, content: { type: "string", maxLength: 30 } },
      required: ["file_path", "content"],
      additionalProperties: false,
    };
    const response = await messages(
      random,
      ask("write it", {
        max_tokens: 300,
        tools: [{ name: "Write", description: "Write a file", input_schema: schema }],
        tool_choice: { type: "tool", name: "Write" },
      }),
    );
    expect(response.status).toBe(200);
    const message = (await response.json()) as { content: Array<{ type: string; name?: string; input?: unknown; id?: string }>; stop_reason: string };
    const call = message.content.find((b) => b.type === "tool_use")!;
    expect(call.name).toBe("Write");
    expect(call.id).toMatch(/^toolu_/);
    expect(new Ajv().compile(schema)(call.input)).toBe(true);
    expect(message.stop_reason).toBe("tool_use");
  });

  it("stops the engine with mallex: no process left behind", async () => {
    const proxy = await startProxyProcess(["--embedded", STORIES, "--threads", "1", "--ctx-size", "2048"]);
    await messages(proxy, ask("Hi", { max_tokens: 2 }));
    const engine = await processesMatching(`engine --model ${STORIES} .*--ctx-size 2048`);
    expect(engine).toHaveLength(1);
    await proxy.stop();
    expect(await processesMatching(`engine --model ${STORIES} .*--ctx-size 2048`)).toEqual([]);
  });
});

describeWithShared("mallex proxy --embedded with no --ctx-size: the context planned before the engine starts", () => {
  type Models = { data: Array<{ id: string; display_name: string; max_input_tokens: number | null }> };
  for (const [model, trained] of [
    [STORIES, 2048],
    [RANDOM, 4096],
  ] as const) {
    it(`reports the engine's real context (${trained}) as max_input_tokens for every local profile, before and after the engine starts`, async () => {
      const proxy = await startProxyProcess(["--embedded", model, "--threads", "1"]);
      try {
        expect(proxy.output()).toContain(`mallex: embedded engine ${model}: context ${trained} tokens (the model's trained context; CPU,`);
        const list = (await (await fetch(`${proxy.url}/v1/models`)).json()) as Models;
        // Every profile of the shipped config but the Claude tier's is served by the engine.
        const local = list.data.filter((m) => !m.id.startsWith("claude"));
        expect(local.length).toBeGreaterThan(5);
        for (const { id } of local) {
          const one = (await (await fetch(`${proxy.url}/v1/models/${id}`)).json()) as { max_input_tokens: number };
          expect(one.max_input_tokens).toBe(trained);
        }
        // The engine itself, asked the way mallex asks llama-server.
        expect((await messages(proxy, { model: local[0]!.id, max_tokens: 4, messages: [{ role: "user", content: "Hi" }] })).status).toBe(200);
        const engineUrl = /: ready at (http:\/\/127\.0\.0\.1:\d+)\/v1/.exec(proxy.output())![1]!;
        // With the token mallex gave it: the engine's own environment, readable to this user alone.
        const props = (await (await fetch(`${engineUrl}/props`, { headers: { authorization: `Bearer ${engineToken(engineUrl)}` } })).json()) as {
          default_generation_settings: { n_ctx: number };
          total_slots: number;
        };
        expect(props.default_generation_settings.n_ctx).toBe(trained);
        expect(proxy.output()).toMatch(new RegExp(`--ctx-size ${trained}\\b`));
      } finally {
        await proxy.stop();
      }
    });
  }
});

describeWithShared("mallex proxy --embedded: an answer the full context stopped", () => {
  it("ends with stop_reason model_context_window_exceeded, streamed and not, and the log says the context is full", async () => {
    // A random-weight model rambles until something stops it: here the 512-token context, long before max_tokens.
    const proxy = await startProxyProcess(["--embedded", RANDOM, "--threads", "1", "--ctx-size", "512"]);
    try {
      // mallex caps an answer in a small context to what its estimate of the prompt leaves (answerCapFor);
      // a prompt the estimate undercounts still fills the context: a rare CJK character is 3 tokens here, estimated at 0.3.
      const body = { model: "qwen2.5-coder-7b", max_tokens: 4000, temperature: 0, messages: [{ role: "user", content: "龘".repeat(120) }] };
      const whole = (await (await messages(proxy, body)).json()) as {
        stop_reason: string;
        usage: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number };
      };
      expect(whole.stop_reason).toBe("model_context_window_exceeded");
      expect(whole.usage.input_tokens + whole.usage.cache_read_input_tokens + whole.usage.output_tokens).toBe(512);
      const streamed = parseSSE(await (await messages(proxy, { ...body, stream: true })).text())
        .filter((e) => e.comment === undefined)
        .map((e) => JSON.parse(e.data) as Event);
      expect(streamed.find((e) => e.type === "message_delta")).toMatchObject({ delta: { stop_reason: "model_context_window_exceeded" } });
      expect(streamed.at(-1)).toEqual({ type: "message_stop" });
      await expect
        .poll(() => proxy.output())
        .toMatch(/ · answer stopped: the model server's context is full \(\d+ \+ \d+ tokens of 512\) · stop model_context_window_exceeded/);
    } finally {
      await proxy.stop();
    }
  }, 120_000);
});

describeWithShared("mallex proxy --embedded hf:… (a fake Hugging Face on loopback)", () => {
  it("downloads the model on first use with progress the user sees, then serves it; the next start needs no network", async () => {
    const hub = await startFakeHuggingFace({
      "tiny/stories-GGUF": { files: { "stories260K-chatml.gguf": readFileSync(STORIES) }, tags: { Q4_K_M: "stories260K-chatml.gguf" } },
    });
    hub.throttle(64 * 1024, 20);
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    try {
      const proxy = await startProxyProcess(["--embedded", "hf:tiny/stories-GGUF:Q4_K_M", "--threads", "1", "--ctx-size", "2048"], home, {
        HF_ENDPOINT: hub.url,
      });
      const response = await messages(proxy, { model: "any", max_tokens: 3, messages: [{ role: "user", content: "Hi" }] });
      expect(response.status).toBe(200);
      await proxy.stop();
      const progress = proxy
        .output()
        .split("\n")
        .filter((line) => /downloading hf:tiny\/stories-GGUF.*\d+%|\(\d+%\)/.test(line));
      expect(progress.length, proxy.output()).toBeGreaterThan(2);
      expect(proxy.output()).toMatch(/100%/);
      expect(existsSync(join(home, "models"))).toBe(true);

      await hub.stop();
      const offline = await startProxyProcess(["--embedded", "hf:tiny/stories-GGUF:Q4_K_M", "--threads", "1", "--ctx-size", "2048"], home, {
        HF_ENDPOINT: hub.url,
      });
      expect((await messages(offline, { model: "any", max_tokens: 3, messages: [{ role: "user", content: "Hi" }] })).status).toBe(200);
      await offline.stop();
    } finally {
      await hub.stop().catch(() => undefined);
    }
  }, 60_000);
});

describeWithShared("mallex run --embedded with the real Claude Code CLI", () => {
  it("the tiny model's words, cut at the profile's cap: max_tokens each time, Claude Code asks to go on 3 times, then exits 1 with its own error, leaving no process behind", async () => {
    const project = makeProject();
    const config = join(mkdtempSync(join(tmpdir(), "mallex-embedded-")), "mallex.yaml");
    // The tiny model never ends a turn by itself: a short answer cap keeps the test quick.
    writeFileSync(
      config,
      ["include: [mallex]", "profiles:", "  qwen3-coder-30b: { max_output_tokens: 48 }", "  qwen2.5-coder-7b: { max_output_tokens: 48 }", ""].join("\n"),
    );
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const result = await runMallex(
      ["--config", config, "--embedded", STORIES, "--threads", "1", "--ctx-size", "8192", "--", "-p", "what is 2+2", "--output-format", "json"],
      project,
      home,
      180_000,
    );
    // A cut answer is not a finished one (issue 49): Claude Code asks to go on (test/e2e-claude-code-cut-answer.test.ts), and
    // after its third request ends the turn with its own error.
    expect(result.exitCode, `${result.stderr}\n${result.stdout}`).toBe(1);
    const output = JSON.parse(result.stdout) as { is_error: boolean; result: string; modelUsage: Record<string, unknown> };
    expect(output).toMatchObject({ is_error: true, result: expect.stringMatching(/^API Error: Claude's response exceeded the \d+ output token maximum/) });
    const configIn = inConfigFile({ path: config, shipped: false });
    const log = readFileSync(join(home, "mallex.log"), "utf8");
    expect(log.match(/ · cut at 48 tokens by max_output_tokens of profile qwen3-coder-30b .* · stop max_tokens · /g)).toHaveLength(4);
    // Its last request carries the three answers before: each the tiny model's own words, then the line saying mallex's cap ended them, and in which file that cap is.
    const sent = JSON.parse(readFileSync(join(home, "last-request", "request.json"), "utf8")) as {
      body: { messages: Array<{ role: string; content: unknown }> };
    };
    const answers = sent.body.messages
      .filter((message) => message.role === "assistant")
      .map((message) =>
        typeof message.content === "string" ? message.content : (message.content as Array<{ text?: string }>).map((block) => block.text ?? "").join(""),
      );
    expect(answers).toHaveLength(3);
    for (const answer of answers) {
      const [words] = answer.split("\n\n[mallex: the answer was cut at 48 tokens");
      expect(words!.trim().length).toBeGreaterThan(10);
      expect(answer).toContain(
        `[mallex: the answer was cut at 48 tokens, the local model's output limit (max_output_tokens of profile qwen3-coder-30b ${configIn})]`,
      );
    }
    // Claude Code names the model it talks to after the GGUF that answers, not the profile the GGUF stands in for.
    expect(Object.keys(output.modelUsage)).toEqual(["mallex/stories260K-chatml"]);
    // So does the request log, and the small-context warning names the file to change.
    expect(log).toMatch(/Z mallex\/stories260K-chatml → qwen3-coder-30b on stories260K-chatml \(/);
    expect(result.stderr).toContain(`or set engine.context_size: 32768 in profile qwen3-coder-30b ${configIn}.`);
    expect(await processesMatching(`engine --model ${STORIES} .*--ctx-size 8192`)).toEqual([]);
  }, 240_000);
});

describeWithShared("mallex run --embedded with no --ctx-size: the window Claude Code is told comes from the engine's context", () => {
  it("a 2,048-token engine under profiles that declare 262,144: Claude Code gets the window for its 1,536-token prompt budget, never the profile's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-fake-claude-"));
    const recorded = join(dir, "env.txt");
    // A `claude` that records what it was given: the contract is the environment, not Claude Code's behaviour.
    writeFileSync(join(dir, "claude"), `#!/bin/sh\nenv > ${JSON.stringify(recorded)}\n`, { mode: 0o755 });
    const result = await runMallex(
      ["--embedded", STORIES, "--threads", "1", "--", "-p", "hi"],
      makeProject(),
      mkdtempSync(join(tmpdir(), "mallex-state-")),
      180_000,
      { PATH: `${dir}:/usr/bin:/bin` },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const env = Object.fromEntries(
      readFileSync(recorded, "utf8")
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    const window = String(compactWindowFor(1536, {}));
    expect(env.CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe(window);
    expect(env.CLAUDE_CODE_MAX_CONTEXT_TOKENS).toBe(window);
    expect(result.stderr).toContain(`mallex: embedded engine ${STORIES}: context 2048 tokens (the model's trained context; CPU,`);
    expect(result.stderr).toMatch(
      /, since \S+ takes prompts of 1,536 tokens at most \(its context holds 2,048\): mallex sets CLAUDE_CODE_AUTO_COMPACT_WINDOW=/,
    );
  }, 240_000);
});
