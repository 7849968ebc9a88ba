/**
 * The request watch in process (createTestProxy): what the e2e through `mallex proxy` does not reach —
 * a backend that cannot be reached, a forced tool call asked again (two upstream calls), a one-piece
 * answer, and a backend key from ${VAR} that no debug line or saved file shows.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import { createUpstreamClient } from "../src/backends/upstream-client.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { collectSecrets, createRedactor } from "../src/observe/redact-secrets.js";
import { createRequestWatcher } from "../src/observe/request-watch.js";
import { createLastRequestSaver } from "../src/observe/save-last-request.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { closedBackendUrl, createTestProxy, defaultTable } from "./helpers/test-proxy.js";

const KEY = "local-backend-key-9f8e7d6c5b4a";
const lookup = {
  name: "lookup_ticket",
  description: "Looks up a ticket by its id.",
  input_schema: { type: "object", properties: { id: { type: "integer" } }, required: ["id"] },
};
const ask = (extra: Record<string, unknown> = {}) => ({
  model: "claude-opus-4-8",
  max_tokens: 256,
  messages: [{ role: "user", content: "What does ticket 42 say?" }],
  ...extra,
});

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(() => mlx.close());

/** A test proxy whose requests are watched at `level`, its backend key from ${LOCAL_KEY}; the saved files are written at once. */
function watchedProxy(backendUrl: string, level: 0 | 1 | 2 | 3) {
  const table: RoutingTable = structuredClone(defaultTable);
  for (const backend of Object.values(table.backends)) if (backend.kind === "openai") backend.apiKey = "${LOCAL_KEY}";
  const env = { LOCAL_KEY: KEY };
  const dir = join(mkdtempSync(join(tmpdir(), "mallex-watch-")), "last-request");
  const debug: string[] = [];
  const saver = createLastRequestSaver(dir, { onError: (message) => debug.push(message), defer: (run) => run() });
  const upstream = createUpstreamClient();
  const watchRequest = createRequestWatcher({
    level,
    debug: (line) => debug.push(line),
    redact: createRedactor(collectSecrets(table, resolveBackends(table, env, { backendUrl }), env, undefined)),
    table,
    upstream,
    saver,
    now: () => performance.now(),
    date: () => new Date("2026-11-22T12:00:00Z"),
  });
  const proxy = createTestProxy({ backendUrl, table, env, ctx: { upstream, ...(watchRequest ? { watchRequest } : {}) } });
  const saved = (name: string) => JSON.parse(readFileSync(join(dir, name), "utf8")) as Record<string, unknown>;
  /** Once the files queued so far are on disk (each is written atomically, which a loaded machine makes slow). */
  const written = () => saver.flush();
  return { proxy, debug, saved, written };
}

/** The saved files and the debug lines are written after the request's end, off its path. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

describe("the request watch", () => {
  it("says why a backend that cannot be reached failed: the call, its error, the answer's status", async () => {
    const down = await closedBackendUrl();
    const { proxy, debug, saved, written } = watchedProxy(down, 1);
    const response = await proxy.post("/v1/messages", ask());
    expect(response.status).toBe(503);
    await response.text();
    await settled();
    await written();
    expect(debug.find((line) => line.startsWith("debug upstream → POST"))).toContain(`${down}/chat/completions`);
    expect(debug.find((line) => line.startsWith("debug upstream ✗ after"))).toMatch(/ms: .+ · req_test\d+$/);
    expect(debug.at(-1)).toMatch(/^debug response: 503 error after [\d,]+ ms · error: .*not reachable/);
    expect(saved("upstream.json")).toMatchObject({ url: `${down}/chat/completions`, error: expect.any(String) });
    expect(saved("upstream.json")).not.toHaveProperty("status");
    expect(saved("response.json")).toMatchObject({ status: 503, outcome: "error", error: expect.stringContaining("not reachable") });
  });

  it("keeps both calls of a forced tool call asked again, the last as the call and the first under earlier_calls", async () => {
    const { proxy, debug, saved, written } = watchedProxy(mlx.url, 2);
    mlx.script({ text: "Ticket 42 is about a login bug." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 42 } }] });
    const response = await proxy.post("/v1/messages", ask({ tools: [lookup], tool_choice: { type: "tool", name: "lookup_ticket" } }));
    expect(response.status).toBe(200);
    await response.json();
    await settled();
    await written();
    expect(debug.filter((line) => line.startsWith("debug upstream → POST"))).toHaveLength(2);
    expect(debug.filter((line) => line.startsWith("debug upstream request body: "))).toHaveLength(2);
    // Both answers were read (from streams: each is collected to be checked whole).
    expect(debug.filter((line) => line.startsWith("debug upstream answer ended after "))).toHaveLength(2);
    const upstream = saved("upstream.json") as { headers: Record<string, string>; body: { messages: Array<{ content: string }> }; earlier_calls: unknown[] };
    expect(upstream.earlier_calls).toHaveLength(1);
    expect(upstream.body.messages.at(-1)!.content).toContain('the reply did not call "lookup_ticket"');
    expect(saved("response.json")).toMatchObject({ status: 200, stop_reason: "tool_use" });
    for (const text of [...debug, JSON.stringify(upstream)]) expect(text).not.toContain(KEY);
    expect(upstream.headers.authorization).toBe("[redacted]");
    expect(mlx.requests.at(-1)!.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("at level 3 shows the one-piece answer sent back; at level 0 writes no line but saves the request", async () => {
    const loud = watchedProxy(mlx.url, 3);
    mlx.script({ text: "Four." });
    await (await loud.proxy.post("/v1/messages", ask())).json();
    await settled();
    expect(loud.debug.some((line) => /^debug client request: POST \/v1\/messages · headers \{.*\} · body \{"model":"claude-opus-4-8"/.test(line))).toBe(true);
    expect(loud.debug.some((line) => /^debug sent: \{"id":"msg_.*"text":"Four\."/.test(line))).toBe(true);

    const quiet = watchedProxy(mlx.url, 0);
    mlx.script({ text: "Four." });
    await (await quiet.proxy.post("/v1/messages", ask())).json();
    await settled();
    await quiet.written();
    expect(quiet.debug).toEqual([]);
    expect(quiet.saved("response.json")).toMatchObject({ status: 200, stop_reason: "end_turn" });
    expect(quiet.saved("request.json")).toMatchObject({
      received_at: "2026-11-22T12:00:00.000Z",
      body: { messages: [{ content: "What does ticket 42 say?" }] },
    });
  });

  it("keeps a body that came as bytes as its bytes, decoded whole, non-ASCII and all, only where its files are made", async () => {
    const watched = watchedProxy(mlx.url, 0);
    const words = "Que dit le ticket 42 — « vite » ? 🤖";
    mlx.script({ text: "Four." });
    await (await watched.proxy.post("/v1/messages", ask({ messages: [{ role: "user", content: words }] }))).json();
    await settled();
    await watched.written();
    expect(watched.saved("request.json")).toMatchObject({ body: { messages: [{ content: words }] } });
  });
});
