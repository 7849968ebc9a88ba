/**
 * Done when (issue 24): whatever clients send, a real `mallex proxy` process keeps its memory within
 * a budget. 60 requests carry a 30 MB `model` (each read, parsed and refused: a model name has at
 * most MAX_MODEL_CHARS) and 40 a 30 MB prompt, half to the local tier (an OpenAI-compatible fake in its
 * own process behind --backend-url) and to the Claude tier (a fake Anthropic API behind
 * --anthropic-url), then 5,000 normal ones: the proxy never dies, its peak RSS (VmHWM, read from
 * /proc) stays under PEAK_RSS_BYTES and settles under SETTLED_RSS_BYTES, and /ui/api/snapshot under 1 MB. The contract checked from
 * outside is stricter in time, looser in size: after 60 requests with a 30 MB model, alive and under 500 MB.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropicApi, type FakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { startScriptedBackend, type ScriptedBackendProcess } from "./helpers/scripted-backend-process.js";
import { localAndClaudeConfig, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

/**
 * The ceilings docs/reliability.md states. Peak: the 300 MB, in decimal megabytes (286 MiB). While one
 * 30 MB body is in flight it exists twice at most — the text and the parsed request, or the parsed
 * request alone while its upstream body is written in pieces (json-text.ts) — and the process
 * collects each copy once its step is done (collect-after-large-body.ts). Measured 236 and 237 MiB
 * (292–301 while the upstream body was one string, 382–386 before the text was decoded in pieces;
 * 483–518 before that): the ceiling leaves room for a slower collector. Settled: what the process
 * holds once the huge requests are over and normal traffic has run, which is what a retained string
 * would grow (123–137 MiB measured).
 */
const CONTRACT_RSS_BYTES = 500 * 1024 * 1024;
const PEAK_RSS_BYTES = 300 * 1000 * 1000;
const SETTLED_RSS_BYTES = 200 * 1024 * 1024;
const SNAPSHOT_MAX_BYTES = 1024 * 1024;
const HUGE = 30 * 1024 * 1024;
/**
 * Per tier. The contract's 60 models; 20 prompts a tier are 600 MB of bodies, which a body kept past
 * its request would put over the ceilings. With 50 and 50 a tier the peak was 236–237 MiB, with these 232.
 */
const HUGE_MODELS = 30;
const HUGE_PROMPTS = 20;
const NORMAL_REQUESTS = 5_000;
const NORMAL_CONCURRENCY = 8;

/** The local server's answer to a huge prompt: a few words, streamed (the model's output is all a fake supplies). */
const BRIEF = {
  brief: [
    {
      chunk: {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 0,
        model: "scripted",
        choices: [{ index: 0, delta: { role: "assistant", content: "read it" }, finish_reason: null }],
      },
    },
    {
      chunk: {
        id: "chatcmpl-1",
        object: "chat.completion.chunk",
        created: 0,
        model: "scripted",
        choices: [{ index: 0, delta: {}, finish_reason: "stop" }],
        usage: { prompt_tokens: 7_800_000, completion_tokens: 2 },
      },
    },
    { done: true as const },
  ],
};

const hasProc = existsSync("/proc/self/status");
let backend: ScriptedBackendProcess;
let api: FakeAnthropicApi;
let proxy: MallexProxyProcess;

/** A line of /proc/PID/status in bytes (VmRSS: now; VmHWM: the peak since the process started). */
function procBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${field}:`));
  if (line === undefined) throw new Error(`no ${field} in /proc/${pid}/status`);
  return Number(/(\d+)\s*kB/.exec(line)![1]) * 1024;
}

async function post(body: string | Uint8Array): Promise<number> {
  const response = await fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body });
  await response.arrayBuffer();
  return response.status;
}

function alive(): boolean {
  return proxy.process.exitCode === null && proxy.process.signalCode === null;
}

beforeAll(async () => {
  backend = await startScriptedBackend(BRIEF);
  api = await startFakeAnthropicApi(undefined, { keep: false });
  const dir = writeTree({ "mallex.yaml": localAndClaudeConfig().replace("size: medium }", "size: medium, context_window: 32768 }") });
  proxy = await startProxyProcess(["--config", join(dir, "mallex.yaml"), "--backend-url", backend.url, "--anthropic-url", api.url], undefined, {
    ANTHROPIC_API_KEY: "sk-ant-memory-test-key",
  });
}, 60_000);

afterAll(async () => {
  await proxy?.stop();
  await backend?.kill();
  await api?.close();
});

describe.runIf(hasProc)("memory budget (a real mallex proxy, RSS from /proc)", () => {
  it("stays under its RSS ceilings through 30 MB models, 30 MB prompts and 5,000 normal requests; the snapshot stays under 1 MB", async () => {
    const pid = proxy.process.pid!;
    const statuses = new Map<number, number>();
    const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);
    // A 30 MB model name: with "sonnet" in it the Claude tier takes it, else the local default tier.
    const hugeModel = (tier: "local" | "claude") =>
      JSON.stringify({
        model: `${tier === "claude" ? "sonnet" : "local"}-${"m".repeat(HUGE)}`,
        max_tokens: 16,
        messages: [{ role: "user", content: "hello" }],
      });
    const hugePrompt = (tier: "local" | "claude") =>
      JSON.stringify({
        model: tier === "claude" ? "claude-sonnet-4-6" : "local-coder",
        max_tokens: 16,
        stream: true,
        messages: [{ role: "user", content: `scenario:brief ${"p".repeat(HUGE)}` }],
      });

    const began = performance.now();
    const phase = (name: string) =>
      console.log(
        `memory budget: ${name} after ${((performance.now() - began) / 1000).toFixed(0)} s, RSS ${(procBytes(pid, "VmRSS") / 2 ** 20).toFixed(0)} MiB, peak ${(procBytes(pid, "VmHWM") / 2 ** 20).toFixed(0)} MiB`,
      );
    for (const tier of ["local", "claude"] as const) {
      const body = Buffer.from(hugeModel(tier));
      for (let i = 0; i < HUGE_MODELS; i++) count(await post(body));
      expect(alive()).toBe(true);
      phase(`${HUGE_MODELS} × 30 MB model, ${tier}`);
    }
    // The outside contract: after 60 models of 30 MB, alive and well under 500 MB.
    expect(procBytes(pid, "VmRSS")).toBeLessThan(CONTRACT_RSS_BYTES);

    for (const tier of ["local", "claude"] as const) {
      const body = Buffer.from(hugePrompt(tier));
      for (let i = 0; i < HUGE_PROMPTS; i++) count(await post(body));
      expect(alive()).toBe(true);
      phase(`${HUGE_PROMPTS} × 30 MB prompt, ${tier}`);
    }

    const normal = (i: number) =>
      JSON.stringify({
        model: i % 2 === 0 ? "claude-sonnet-4-6" : "local-coder",
        max_tokens: 16,
        stream: i % 4 < 2,
        messages: [{ role: "user", content: `question ${i}` }],
      });
    let next = 0;
    await Promise.all(
      Array.from({ length: NORMAL_CONCURRENCY }, async () => {
        while (next < NORMAL_REQUESTS) count(await post(normal(next++)));
      }),
    );
    expect(alive()).toBe(true);
    phase(`${NORMAL_REQUESTS} normal`);

    const snapshot = await fetch(`${proxy.url}/ui/api/snapshot`);
    expect(snapshot.status).toBe(200);
    const text = await snapshot.text();
    const peak = procBytes(pid, "VmHWM");
    // Settled: V8 hands freed pages back when the process idles (its memory reducer), which on a
    // loaded machine can take seconds after the last request; a leak never gets under the ceiling.
    let now = procBytes(pid, "VmRSS");
    for (const deadline = Date.now() + 30_000; now >= SETTLED_RSS_BYTES && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      now = Math.min(now, procBytes(pid, "VmRSS"));
    }
    // Shown with the run: the numbers docs/reliability.md quotes come from here.
    console.log(
      `memory budget: peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, RSS at the end ${(now / 2 ** 20).toFixed(0)} MiB, snapshot ${(Buffer.byteLength(text) / 1024).toFixed(0)} KiB, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(Buffer.byteLength(text)).toBeLessThan(SNAPSHOT_MAX_BYTES);
    expect(peak).toBeLessThan(PEAK_RSS_BYTES);
    expect(now).toBeLessThan(SETTLED_RSS_BYTES);
    // Every request was answered by mallex, none with a server error of its own.
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(2 * (HUGE_MODELS + HUGE_PROMPTS) + NORMAL_REQUESTS);
  }, 900_000);
});
