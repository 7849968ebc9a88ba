/**
 * Load through the real `mallex proxy` process and the fake mlx-lm.server: 50 concurrent Claude
 * Code-like sessions (streamed, x-claude-code-session-id, a tool round trip each) get their own
 * answers in order, with a queue configured for them; on the defaults (mlx-lm: 32 in flight, 128
 * waiting) a burst past them is refused with 529 overloaded_error at once and the SDK's retries get
 * every request through; 50 streams aborted at once leave the proxy healthy.
 */
import { join } from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { wireRequest } from "./helpers/wire-client.js";

const SESSIONS = 50;
const LOOKUP = {
  name: "lookup",
  description: "Look a session's record up.",
  input_schema: { type: "object" as const, properties: { session: { type: "string" } }, required: ["session"] },
};

/** The scripted model: asked by session S, it calls lookup({session: S}); given the result, it answers with it. */
function respond(record: FakeRequestRecord): FakeScript {
  const messages = (record.body as { messages: Array<{ role: string; content: unknown }> }).messages;
  const last = messages.at(-1)!;
  const text = typeof last.content === "string" ? last.content : JSON.stringify(last.content);
  // A stream the test aborts: long and slow, so it is still generating when the client goes.
  if (/abort-\d+/.test(text)) return { text: Array<string>(500).fill(" word"), tokenDelayMs: 20 };
  const session = /session-[\w]+/.exec(text)?.[0] ?? "unknown";
  if (last.role === "tool") return { text: `Answer for ${session}: record ${session} found.`, tokenDelayMs: 2 };
  return { text: `Looking ${session} up.`, toolCalls: [{ name: "lookup", arguments: { session } }], tokenDelayMs: 2 };
}

const client = (proxy: MallexProxyProcess, options: { session?: string; maxRetries?: number } = {}) =>
  new Anthropic({
    baseURL: proxy.url,
    apiKey: "local",
    maxRetries: options.maxRetries ?? 0,
    defaultHeaders: options.session ? { "x-claude-code-session-id": options.session } : {},
  });

/** One Claude Code-like session: a streamed turn that calls the tool, then the streamed answer to its result. */
async function session(proxy: MallexProxyProcess, id: string) {
  const sdk = client(proxy, { session: id });
  const question = { role: "user" as const, content: `What does the record of ${id} say?` };
  const first = await sdk.messages.stream({ model: "claude-opus-4-8", max_tokens: 256, tools: [LOOKUP], messages: [question] }).finalMessage();
  const call = first.content.find((block) => block.type === "tool_use");
  expect(call, `${id}: turn 1 has a tool_use`).toBeDefined();
  expect(call!.input).toEqual({ session: id });
  const second = await sdk.messages
    .stream({
      model: "claude-opus-4-8",
      max_tokens: 256,
      tools: [LOOKUP],
      messages: [
        question,
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: call!.id, content: `record of ${id}` }] },
      ],
    })
    .finalMessage();
  return { first, second };
}

describe(`${SESSIONS} concurrent sessions with a queue sized for them`, () => {
  let mlx: FakeMlxServer;
  let proxy: MallexProxyProcess;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({ respond });
    const dir = writeTree({
      "mallex.yaml": `server:
  max_in_flight_per_backend: 4
  max_waiting_per_backend: 64
backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:8080/v1" }
profiles:
  small: { backend: local, model: test-model, size: medium, tools: { mode: native } }
tiers:
  medium: { profile: small }
`,
    });
    proxy = await startProxyProcess(["--config", join(dir, "mallex.yaml"), "--backend-url", mlx.url]);
  }, 30_000);
  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
  });

  it("each session gets its own tool call and its own answer, in order; every stream ends", async () => {
    const ids = Array.from({ length: SESSIONS }, (_, i) => `session-${i}`);
    const results = await Promise.all(ids.map((id) => session(proxy, id)));
    results.forEach(({ first, second }, i) => {
      const id = ids[i]!;
      expect(first.stop_reason).toBe("tool_use");
      expect(second.stop_reason).toBe("end_turn");
      const text = second.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
      expect(text).toBe(`Answer for ${id}: record ${id} found.`);
    });
    expect(mlx.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(2 * SESSIONS);
    expect(proxy.output()).not.toMatch(/internal error|mallex failed|overloaded/);
  }, 30_000);

  it(`${SESSIONS} streams aborted at once leave the proxy healthy, and the backend sees every one go`, async () => {
    const before = mlx.requests.length;
    const controllers = Array.from({ length: SESSIONS }, () => new AbortController());
    const streams = controllers.map(async (controller, i) => {
      const stream = client(proxy, { session: `abort-${i}` }).messages.stream(
        { model: "claude-opus-4-8", max_tokens: 1024, messages: [{ role: "user", content: `abort-${i}` }] },
        { signal: controller.signal },
      );
      stream.on("error", () => undefined);
      try {
        for await (const event of stream) if (event.type === "content_block_delta") break;
      } catch {
        // aborted before its first delta: fine
      }
    });
    // Aborted while the first 4 generate and the rest wait in the queue.
    await expect.poll(() => mlx.requests.length - before, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    for (const controller of controllers) controller.abort();
    await Promise.all(streams);
    const health = await wireRequest(proxy.url, { method: "GET", path: "/health", timeoutMs: 2000 });
    expect(health.status).toBe(200);
    // Every generation that started was ended by mallex (the backend saw its client go).
    await expect
      .poll(() => mlx.requests.slice(before).filter((r) => r.path === "/v1/chat/completions" && r.aborted !== true && r.prompt !== undefined).length, {
        timeout: 5000,
      })
      .toBe(0);
    // The queue is empty again: a new session goes straight through.
    const after = await session(proxy, "session-after");
    expect(after.second.content).toMatchObject([{ type: "text", text: "Answer for session-after: record session-after found." }]);
  }, 30_000);
});

describe("the default queue (mlx-lm: 32 in flight, 128 waiting per backend)", () => {
  // More than the queue holds; each answer prefills for 2 s, so none ends while the burst arrives.
  const BURST = 200;
  const ADMITTED = 32 + 128;
  let mlx: FakeMlxServer;
  let proxy: MallexProxyProcess;
  const load = { inFlight: 0, peak: 0 };
  beforeAll(async () => {
    mlx = await createFakeMlxServer({
      respond: (record) => ({ ...respond(record), prefillMs: 2000 }),
      onGeneration: (event) => {
        if (event.phase === "queued") load.peak = Math.max(load.peak, ++load.inFlight);
        if (event.phase === "done") load.inFlight--;
      },
    });
    proxy = await startProxyProcess(["--backend-url", mlx.url], undefined, { ANTHROPIC_API_KEY: "" });
  }, 30_000);
  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
  });

  const ask = (i: number) => ({ model: "claude-opus-4-8", max_tokens: 64, messages: [{ role: "user" as const, content: `burst session-${i}` }] });

  it(`sends 32 at once, queues 128 and answers 529 overloaded_error at once to the other ${BURST - ADMITTED} of ${BURST} simultaneous requests`, async () => {
    const replies = await Promise.all(
      Array.from({ length: BURST }, (_, i) => wireRequest(proxy.url, { path: "/v1/messages", body: JSON.stringify(ask(i)), timeoutMs: 30_000 })),
    );
    const refused = replies.filter((r) => r.status === 529);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(ADMITTED);
    expect(refused).toHaveLength(BURST - ADMITTED);
    expect(load.peak).toBe(32);
    for (const reply of refused) {
      expect(JSON.parse(reply.body)).toMatchObject({
        type: "error",
        error: {
          type: "overloaded_error",
          message: expect.stringMatching(
            /serves 32 request\(s\) at a time \((default for mlx-lm|server: mlx-lm [^)]*); server\.max_in_flight_per_backend sets it\) and 128 more are already waiting \(4 × in flight, at least 16; server\.max_waiting_per_backend sets it\)/,
          ),
        },
      });
    }
  }, 60_000);

  it(`the SDK's own retries get all ${BURST} through, each with its own answer`, async () => {
    const answers = await Promise.all(Array.from({ length: BURST }, (_, i) => client(proxy, { maxRetries: 12 }).messages.create(ask(i))));
    answers.forEach((answer, i) => {
      const text = answer.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
      expect(text).toContain(`Looking session-${i} up.`);
    });
  }, 90_000);
});
