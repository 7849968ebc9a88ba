/**
 * The contract outside checks use (issue 22): with the shipped config, `mallex proxy --backend-url`
 * as a real process sends 8 concurrent streamed requests to a server that takes 1 s before it
 * answers each all at once — none waits for another, none gets 529 — because a backend's in-flight
 * limit is what its server runs at once (mlx-lm.server decodes 32 in one batch), not 1. Past a
 * limit, the sessions waiting take turns. Concurrency is read at the backend (its peak of requests
 * in flight), never from wall-clock times. Needs dist/ (`npm run build`).
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type GenerationEvent } from "./fakes/mlx-lm-server.js";
import { parseSSE } from "./fakes/read-sse.js";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { parseExposition, sumOf } from "./helpers/parse-exposition.js";
import { runCli } from "./helpers/run-cli.js";

let fake: FakeMlxServer | undefined;
let proxy: MallexProxyProcess | undefined;
afterEach(async () => {
  await proxy?.stop();
  await fake?.close();
  proxy = undefined;
  fake = undefined;
});

/** A fake mlx-lm.server (it batches: every request it gets runs at once) that prefills each prompt for `prefillMs`, counting the generations in flight. */
async function batchingServer(prefillMs: number) {
  const load = { inFlight: 0, peak: 0, order: [] as string[] };
  const onGeneration = (event: GenerationEvent) => {
    if (event.phase === "queued") {
      load.inFlight++;
      load.peak = Math.max(load.peak, load.inFlight);
      load.order.push(/Request (\w+)\./.exec(JSON.stringify(event.record.body))?.[1] ?? "?");
    }
    if (event.phase === "done") load.inFlight--;
  };
  fake = await createFakeMlxServer({ respond: () => ({ text: "Hello there.", prefillMs }), onGeneration });
  return { server: fake, load };
}

function ask(url: string, name: string, session: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": session },
    body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 64, stream: true, messages: [{ role: "user", content: `Request ${name}. Say hello.` }] }),
  });
}

/** The stream's event types, read to its end. */
async function eventTypes(response: Response): Promise<string[]> {
  expect(response.status).toBe(200);
  return parseSSE(await response.text())
    .filter((event) => event.comment === undefined)
    .map((event) => (JSON.parse(event.data) as { type: string }).type);
}

const metrics = async (url: string) => parseExposition(await (await fetch(`${url}/metrics`)).text());

describe("concurrency from capacity (mallex proxy --backend-url, shipped config)", () => {
  it("sends 8 concurrent streamed requests to the server at once: all answer, none gets 529, the server has all 8 in flight", async () => {
    const { server, load } = await batchingServer(1000);
    proxy = await startProxyProcess(["--backend-url", server.url], undefined, { ANTHROPIC_API_KEY: "" });
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => ask(proxy!.url, `r${i}`, `session-${i}`)));
    const streams = await Promise.all(responses.map(eventTypes));
    for (const types of streams) {
      expect(types[0]).toBe("message_start");
      expect(types).not.toContain("error");
      expect(types.at(-1)).toBe("message_stop");
    }
    // Each request reached the server while the others were still prefilling.
    expect(load.peak).toBe(8);

    // The capacity and where it came from, in /metrics, the dashboard's snapshot and `mallex status`.
    const samples = await metrics(proxy.url);
    expect(sumOf(samples, "mallex_backend_capacity", { backend: "mlx" })).toBe(32);
    expect(sumOf(samples, "mallex_queue_wait_seconds_count")).toBe(8);
    const snapshot = (await (await fetch(`${proxy.url}/ui/api/snapshot`)).json()) as {
      capacity: Array<{ backend: string; maxInFlight: number; source: string; maxWaiting: number }>;
    };
    const mlx = snapshot.capacity.find((entry) => entry.backend === "mlx")!;
    expect(mlx).toMatchObject({ maxInFlight: 32, maxWaiting: 128, inFlight: 0, waiting: 0 });
    // Its default for mlx-lm, or the same figure once mallex has read the server's facts.
    expect(mlx.source).toMatch(/^(default for mlx-lm|server: mlx-lm 0\.32 --decode-concurrency default)$/);
    const status = await runCli(["status", "--url", proxy.url]);
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toContain(`  mlx: 32 at once (${mlx.source}), 128 may wait (4 × in flight, at least 16) · 0 in flight, 0 queued`);
  }, 60_000);

  it("past the limit, the sessions waiting take turns: one session's burst does not hold back another's requests", async () => {
    const { server, load } = await batchingServer(300);
    const config = join(
      writeTree({
        "mallex.yaml": `server: { max_in_flight_per_backend: 1 }
backends:
  mlx: { kind: openai, flavor: mlx-lm, base_url: "${server.url}" }
profiles:
  coder: { backend: mlx, model: mlx-community/Qwen3-Coder-30B-A3B-Instruct-4bit, size: medium }
tiers:
  medium: { profile: coder }
`,
      }),
      "mallex.yaml",
    );
    proxy = await startProxyProcess(["--config", config], undefined, { ANTHROPIC_API_KEY: "" });
    const url = proxy.url;
    const queued = async (depth: number) => {
      await expect.poll(async () => sumOf(await metrics(url), "mallex_backend_queue_depth", { backend: "mlx" }), { timeout: 10_000 }).toBe(depth);
    };
    // One agent's burst of four, then another session's two, each in the queue before the next is sent.
    const sent: Array<Promise<Response>> = [ask(url, "a1", "agent")];
    await expect.poll(() => load.inFlight, { timeout: 10_000 }).toBe(1);
    for (const [i, name] of ["a2", "a3", "a4"].entries()) {
      sent.push(ask(url, name, "agent"));
      await queued(i + 1);
    }
    for (const [i, name] of ["b1", "b2"].entries()) {
      sent.push(ask(url, name, "other"));
      await queued(i + 4);
    }
    for (const types of await Promise.all((await Promise.all(sent)).map(eventTypes))) expect(types.at(-1)).toBe("message_stop");
    expect(load.peak).toBe(1);
    // Round-robin between the sessions, first-in first-out within each (first-in first-out overall would be a1…a4, b1, b2).
    expect(load.order).toEqual(["a1", "a2", "b1", "a3", "b2", "a4"]);
  }, 60_000);
});
