import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SupervisorPool } from "../src/backends/supervisor-pool.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord } from "./fakes/mlx-lm-server.js";
import { sdkClient } from "./helpers/sdk-client.js";
import { createTestProxy } from "./helpers/test-proxy.js";

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

/** Text with a stop sequence early and many tokens after it: only an aborted generation ends soon. */
const longAfterStop = (stop: string) => ({
  text: ["Hello", " world", ".", ` ${stop.slice(0, 2)}`, stop.slice(2), ...Array<string>(200).fill(" more")],
  tokenDelayMs: 5,
});

const ask = (extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 1024,
  messages: [{ role: "user" as const, content: "Say hello." }],
  ...extra,
});

const lastGeneration = (): FakeRequestRecord => mlx.requests.filter((r) => r.path.endsWith("/chat/completions")).at(-1)!;

async function expectAborted(record: FakeRequestRecord) {
  await expect.poll(() => record.aborted, { timeout: 2000 }).toBe(true);
}

describe("stop_sequences, matched by mallex", () => {
  it("streaming: ends with stop_sequence, the text cut before it, and the generation aborted", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script(longAfterStop("STOP"));
    const stream = sdkClient(proxy).messages.stream(ask({ stop_sequences: ["</answer>", "STOP"] }));
    const message = await stream.finalMessage();
    expect(message.stop_reason).toBe("stop_sequence");
    expect(message.stop_sequence).toBe("STOP");
    expect(message.content).toEqual([{ type: "text", text: "Hello world. " }]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const record = lastGeneration();
    expect(record.body).toMatchObject({ stream: true });
    expect(record.body).not.toHaveProperty("stop");
    await expectAborted(record);
    await expect.poll(() => proxy.logs.length).toBe(1);
    expect(proxy.logs[0]).toMatch(/ · stop stop_sequence "STOP"/);
  });

  it("not streaming: the same message, from a generation mallex streamed and stopped", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script(longAfterStop("STOP"));
    const message = await sdkClient(proxy).messages.create(ask({ stop_sequences: ["STOP"] }));
    expect(message).toMatchObject({ type: "message", role: "assistant", model: "claude-opus-4-8", stop_reason: "stop_sequence", stop_sequence: "STOP" });
    expect(message.content).toEqual([{ type: "text", text: "Hello world. " }]);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    const record = lastGeneration();
    expect(record.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
    expect(record.body).not.toHaveProperty("stop");
    await expectAborted(record);
    expect(proxy.logs[0]).toMatch(/ · stop stop_sequence "STOP"/);
  });

  it("a sequence that never comes: end_turn, the whole text, stop_sequence null, a generation that ran to its end", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    for (const stream of [true, false]) {
      mlx.script({ text: "All of it, ST and OP apart." });
      const client = sdkClient(proxy);
      const message = stream
        ? await client.messages.stream(ask({ stop_sequences: ["STOP"] })).finalMessage()
        : await client.messages.create(ask({ stop_sequences: ["STOP"] }));
      expect(message.stop_reason).toBe("end_turn");
      expect(message.stop_sequence).toBeNull();
      expect(message.content).toEqual([{ type: "text", text: "All of it, ST and OP apart." }]);
      expect(lastGeneration().aborted).toBeUndefined();
    }
  });

  it("a sequence at the very start leaves no text block", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["\n\nHuman:", " and", " on"] });
    const message = await sdkClient(proxy).messages.create(ask({ stop_sequences: ["\n\nHuman:"] }));
    expect(message).toMatchObject({ content: [], stop_reason: "stop_sequence", stop_sequence: "\n\nHuman:" });
  });

  it("applies to text only: a tool call's arguments and the model's reasoning may contain it", async () => {
    const tools = [
      {
        name: "Write",
        description: "Write a file",
        input_schema: {
          type: "object" as const,
          properties: { file_path: { type: "string" }, content: { type: "string" } },
          required: ["file_path", "content"],
        },
      },
    ];
    const table = structuredClone((await import("./helpers/test-proxy.js")).defaultTable);
    for (const profile of Object.values(table.profiles)) profile.thinking = "expose";
    const proxy = createTestProxy({ backendUrl: mlx.url, table });
    mlx.script({
      reasoning: "Write STOP into the file.",
      text: "Writing it.",
      toolCalls: [{ name: "Write", arguments: { file_path: "/tmp/s.txt", content: "STOP" } }],
    });
    const message = await sdkClient(proxy)
      .messages.stream(ask({ stop_sequences: ["STOP"], tools, thinking: { type: "enabled", budget_tokens: 1024 }, max_tokens: 4096 }))
      .finalMessage();
    expect(message.stop_reason).toBe("tool_use");
    expect(message.stop_sequence).toBeNull();
    expect(message.content.map((block) => block.type)).toEqual(["thinking", "text", "tool_use"]);
    expect(message.content[0]).toMatchObject({ thinking: "Write STOP into the file." });
    expect(message.content[2]).toMatchObject({ name: "Write", input: { file_path: "/tmp/s.txt", content: "STOP" } });
  });

  it("not streaming: a generation that breaks off or goes silent is an error response, not a partial message", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url, ctx: { requestTimeoutMs: 300 } });
    const client = sdkClient(proxy);
    mlx.script({ text: ["a", "b", "c"], failure: "close-mid-stream", failAfterTokens: 2 });
    // The backend failure table's "broke mid-answer": 502, retried by the SDK.
    await expect(client.messages.create(ask({ stop_sequences: ["STOP"] }))).rejects.toMatchObject({
      status: 502,
      error: { type: "error", error: { type: "api_error" } },
    });
    mlx.script({ text: "late", prefillMs: 2000 });
    await expect(client.messages.create(ask({ stop_sequences: ["STOP"] }))).rejects.toMatchObject({
      status: 529,
      error: { error: { type: "overloaded_error" } },
    });
  });

  it("a JSON answer (output_config.format) with stop sequences, not streamed: the JSON alone, cut before the sequence", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    mlx.script({ text: ["Here it is:\n```json\n", '{"title": ', '"Hello"}', "\n```\n", "EN", "D and then more"] });
    const message = await sdkClient(proxy).messages.create(
      ask({
        stop_sequences: ["END"],
        output_config: { format: { type: "json_schema", schema: { type: "object", properties: { title: { type: "string" } } } } },
      }),
    );
    expect(message.stop_reason).toBe("stop_sequence");
    expect(message.content).toEqual([{ type: "text", text: '{"title": "Hello"}' }]);
  });

  it("releases the supervisor's lease of a generation it stopped", async () => {
    const leases: Array<{ ended: number; progress: number }> = [];
    const pool = {
      for: () => ({
        ensureReady: async () => mlx.url,
        beginRequest: () => {
          const lease = { ended: 0, progress: 0 };
          leases.push(lease);
          return { signal: new AbortController().signal, progress: () => void lease.progress++, end: () => void lease.ended++ };
        },
      }),
      modelFor: () => undefined,
    } as unknown as SupervisorPool;
    const proxy = createTestProxy({ backendUrl: mlx.url, ctx: { supervisors: pool } });
    for (const backend of Object.values(proxy.ctx.backends)) backend.supervised = true;
    for (const stream of [true, false]) {
      mlx.script(longAfterStop("STOP"));
      const client = sdkClient(proxy);
      const message = stream
        ? await client.messages.stream(ask({ stop_sequences: ["STOP"] })).finalMessage()
        : await client.messages.create(ask({ stop_sequences: ["STOP"] }));
      expect(message.stop_reason).toBe("stop_sequence");
      await expectAborted(lastGeneration());
    }
    expect(leases).toHaveLength(2);
    for (const lease of leases) expect(lease.ended).toBe(1);
  });
});
