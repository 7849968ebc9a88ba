import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { startFakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { sdkClient } from "./helpers/sdk-client.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

/** The default table with every profile's `thinking` set. */
function tableWith(thinking: "strip" | "expose"): RoutingTable {
  const table = structuredClone(defaultTable);
  for (const profile of Object.values(table.profiles)) profile.thinking = thinking;
  return table;
}

const requests = {
  enabled: { type: "enabled", budget_tokens: 1024 },
  adaptive: { type: "adaptive" },
  disabled: { type: "disabled" },
  absent: undefined,
  omitted: { type: "adaptive", display: "omitted" },
} as const;

/** The model thinks whatever it is asked (a hybrid model's template default): only mallex decides what is shown. */
async function ask(profile: "strip" | "expose", thinking: keyof typeof requests, stream: boolean) {
  const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(profile) });
  mlx.script({ reasoning: "The user wants a greeting.", text: "Hello!" });
  const params = {
    model: "claude-opus-4-8",
    max_tokens: 4096,
    messages: [{ role: "user" as const, content: "Say hello." }],
    ...(requests[thinking] ? { thinking: requests[thinking] } : {}),
  };
  const client = sdkClient(proxy);
  const message = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
  await expect.poll(() => proxy.logs.length).toBe(1);
  return { message, log: proxy.logs[0]! };
}

describe("thinking blocks: only when the request asks for thinking and the profile exposes it", () => {
  for (const stream of [true, false]) {
    const mode = stream ? "streaming" : "not streaming";

    for (const thinking of ["enabled", "adaptive"] as const) {
      it(`${mode}: thinking ${thinking} on an expose profile shows the reasoning`, async () => {
        const { message, log } = await ask("expose", thinking, stream);
        expect(message.content).toEqual([
          { type: "thinking", thinking: "The user wants a greeting.", signature: "" },
          { type: "text", text: "Hello!" },
        ]);
        expect(log).not.toMatch(/thinking stripped/);
      });

      it(`${mode}: thinking ${thinking} on a strip profile drops it, and the request log says so once`, async () => {
        const { message, log } = await ask("strip", thinking, stream);
        expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
        expect(log.match(/thinking stripped by profile qwen3-coder-30b/g)).toHaveLength(1);
        expect(JSON.stringify(message)).not.toMatch(/stripped/);
      });
    }

    for (const thinking of ["disabled", "absent", "omitted"] as const) {
      for (const profile of ["expose", "strip"] as const) {
        it(`${mode}: thinking ${thinking} on a ${profile} profile shows none, and nothing is said`, async () => {
          const { message, log } = await ask(profile, thinking, stream);
          expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
          expect(log).not.toMatch(/thinking stripped/);
        });
      }
    }
  }
});

describe("Claude Code 2.1.330's thinking and context_management: mapped or dropped, said once in the log", () => {
  const cm = { edits: [{ type: "clear_thinking_20251015", keep: "all" }] };
  /** One request as Claude Code 2.1.330 sends it; returns what the local server got and the log line. */
  async function send(table: RoutingTable, thinking: Record<string, unknown> | undefined, extra: Record<string, unknown> = {}) {
    const proxy = createTestProxy({ backendUrl: mlx.url, table });
    mlx.script({ text: "4" });
    const response = await proxy.post("/v1/messages", {
      model: "claude-opus-4-8",
      max_tokens: 4096,
      messages: [{ role: "user", content: "what is 2+2" }],
      ...(thinking ? { thinking } : {}),
      ...extra,
    });
    expect(response.status, await response.clone().text()).toBe(200);
    await expect.poll(() => proxy.logs.length).toBe(1);
    return { upstream: mlx.requests.at(-1)!.body as Record<string, unknown>, log: proxy.logs[0]! };
  }

  for (const thinking of [{ type: "adaptive" }, { type: "adaptive", display: "omitted" }, { type: "adaptive", display: "summarized" }]) {
    it(`${JSON.stringify(thinking)} turns the model's thinking on, like enabled, and context_management is dropped`, async () => {
      const { upstream, log } = await send(tableWith("strip"), thinking, { context_management: cm, output_config: { effort: "medium" } });
      expect(upstream.chat_template_kwargs).toEqual({ enable_thinking: true });
      expect(JSON.stringify(upstream)).not.toMatch(/context_management|clear_thinking|adaptive|effort/);
      expect(log.match(/ · thinking adaptive→on, context_management dropped · /g)).toHaveLength(1);
    });
  }

  it("a profile that turns thinking off (enable_thinking: false) drops adaptive, and says it was the profile", async () => {
    const table = tableWith("expose");
    for (const profile of Object.values(table.profiles)) profile.enableThinking = false;
    const { upstream, log } = await send(table, { type: "adaptive" });
    expect(upstream.chat_template_kwargs).toEqual({ enable_thinking: false });
    expect(log).toContain(" · thinking adaptive→off by profile · ");
    expect(log).not.toMatch(/context_management/);
  });

  it("a request with neither says nothing about them", async () => {
    const { upstream, log } = await send(tableWith("strip"), undefined);
    expect(upstream.chat_template_kwargs).toBeUndefined();
    expect(log).not.toMatch(/thinking|context_management/);
  });

  it("the Anthropic API gets thinking, context_management and output_config as Claude Code sent them", async () => {
    const anthropic = await startFakeAnthropicApi();
    try {
      const table = tableWith("expose");
      table.backends.anthropic!.baseUrl = anthropic.url;
      const proxy = createTestProxy({ backendUrl: mlx.url, table, env: { ANTHROPIC_API_KEY: "sk-real" } });
      const body = {
        model: "claude-sonnet",
        max_tokens: 4096,
        messages: [{ role: "user", content: "hi" }],
        thinking: { type: "adaptive", display: "omitted" },
        context_management: cm,
        output_config: { effort: "medium" },
      };
      expect((await proxy.post("/v1/messages", body)).status).toBe(200);
      expect(anthropic.received[0]!.body).toMatchObject({ thinking: body.thinking, context_management: cm, output_config: body.output_config });
    } finally {
      await anthropic.close();
    }
  });
});

describe("each family's reasoning markup left in content, through the Anthropic SDK", () => {
  /** As a server with no reasoning parser streams it: the family's own markup in the content. */
  const outputs = {
    "Seed-OSS": "<seed:think>The user wants a greeting.</seed:think>Hello!<seed:eos>",
    Magistral: "[THINK]The user wants a greeting.[/THINK]Hello!",
    "Command R7B": "<|START_THINKING|>The user wants a greeting.<|END_THINKING|><|START_RESPONSE|>Hello!<|END_RESPONSE|><|END_OF_TURN_TOKEN|>",
    "gpt-oss": "<|channel|>analysis<|message|>The user wants a greeting.<|end|><|start|>assistant<|channel|>final<|message|>Hello!<|return|>",
    "Gemma 4": "<|channel>thought\nThe user wants a greeting.<channel|>Hello!<turn|>",
    Apertus: "<|inner_prefix|>The user wants a greeting.<|inner_suffix|>Hello!<|assistant_end|>",
  };
  const readTool = {
    name: "Read",
    description: "Reads a file.",
    input_schema: { type: "object" as const, properties: { file_path: { type: "string" } }, required: ["file_path"] },
  };

  async function send(text: string, profile: "strip" | "expose", stream: boolean) {
    const proxy = createTestProxy({ backendUrl: mlx.url, table: tableWith(profile) });
    mlx.script({ text });
    const params = {
      model: "claude-opus-4-8",
      max_tokens: 4096,
      messages: [{ role: "user" as const, content: "Say hello, or read /a.ts." }],
      thinking: { type: "enabled" as const, budget_tokens: 1024 },
      tools: [readTool],
    };
    const client = sdkClient(proxy);
    return stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
  }

  for (const stream of [true, false]) {
    const mode = stream ? "streaming" : "not streaming";
    for (const [family, text] of Object.entries(outputs)) {
      it(`${mode}: ${family}'s reasoning comes back as a thinking block, and no control token is in the text`, async () => {
        const message = await send(text, "expose", stream);
        expect(message.content).toEqual([
          { type: "thinking", thinking: expect.stringContaining("The user wants a greeting.") as string, signature: "" },
          { type: "text", text: "Hello!" },
        ]);
        expect(message.stop_reason).toBe("end_turn");
      });

      it(`${mode}: ${family}'s reasoning is dropped on a strip profile`, async () => {
        const message = await send(text, "strip", stream);
        expect(message.content).toEqual([{ type: "text", text: "Hello!" }]);
      });
    }

    it(`${mode}: DeepSeek's end of sentence after a call is not a text block of its own`, async () => {
      const call = '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>Read<｜tool▁sep｜>{"file_path": "/a.ts"}<｜tool▁call▁end｜><｜tool▁calls▁end｜>';
      const message = await send(`<think>Read it.</think>\n\n${call}<｜end▁of▁sentence｜>`, "expose", stream);
      expect(message.content).toEqual([
        { type: "thinking", thinking: "Read it.", signature: "" },
        { type: "tool_use", id: expect.stringMatching(/^toolu_/) as string, name: "Read", input: { file_path: "/a.ts" } },
      ]);
      expect(message.stop_reason).toBe("tool_use");
    });
  }
});
