/**
 * The freeze test: `mallex proxy` (a real process, the shipped config, the fake mlx-lm.server behind
 * --backend-url) gets Claude Code's captured request carrying adversarial `<system-reminder>`s, and
 * /health is polled throughout. Before the rules ran in linear time, 300 KB of spaces held every
 * client, /health included, for 83 s, and a team rule `(\w+\s?)+ZZZQQQ` hung the proxy for good.
 * The bound asserted is the contract's (1 s, a freeze detector on a loaded CI machine); the measured
 * worst latency is printed. docs/configuration.md's latency table comes from `npm run bench:health`,
 * which runs every shipped regex against 1 MB inputs (a benchmark: tests assert no timings beyond the contract).
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { packageRoot, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, readCapture } from "./helpers/shared-dir.js";

const HEALTH_BOUND_MS = 1000;
const DISCLAIMER = "IMPORTANT: this context may or may not be relevant to your tasks.";
const MB = 1 << 20;

let mlx: FakeMlxServer;
const running: MallexProxyProcess[] = [];

beforeAll(async () => {
  mlx = await createFakeMlxServer();
});
afterAll(async () => {
  await Promise.all(running.map((proxy) => proxy.stop()));
  await mlx?.close();
});

const reminder = (inner: string) => `<system-reminder>${inner}</system-reminder>`;
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/** Claude Code's "what is 2+2", to a local profile, with `reminders` added to its last user message (its reminders are there). */
function requestWith(reminders: string[]): string {
  const body = structuredClone(readCapture<{ model: string; messages: Array<{ role: string; content: unknown }> }>("main-request-2plus2.json").body);
  body.model = "qwen3-coder-30b";
  const last = body.messages.findLast((message) => message.role === "user");
  if (last === undefined) throw new Error("the capture has no user message");
  const blocks = typeof last.content === "string" ? [{ type: "text", text: last.content }] : (last.content as unknown[]);
  last.content = [...blocks, ...reminders.map((text) => ({ type: "text", text }))];
  return JSON.stringify(body);
}

/** Sends the request while polling /health; the worst /health latency seen, and the request's status. */
async function sendWhilePolling(proxy: MallexProxyProcess, body: string): Promise<{ status: number; text: string; worstHealthMs: number; requestMs: number }> {
  let done = false;
  let worst = 0;
  const poll = (async () => {
    while (!done) {
      const started = performance.now();
      await fetch(`${proxy.url}/health`);
      worst = Math.max(worst, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const started = performance.now();
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body,
  });
  const text = await response.text();
  const requestMs = performance.now() - started;
  done = true;
  await poll;
  return { status: response.status, text, worstHealthMs: worst, requestMs };
}

/**
 * A fresh proxy's first request holds the loop for its own reasons (JIT, templates, compiling the
 * rules: over a second on a loaded 2-core machine, with no adversarial text at all), so it is sent
 * and measured before the cases, not as one of them.
 */
async function warmUp(proxy: MallexProxyProcess): Promise<void> {
  const result = await sendWhilePolling(proxy, requestWith([]));
  console.info(
    `first request, no adversarial text: worst /health ${result.worstHealthMs.toFixed(0)} ms, request ${result.requestMs.toFixed(0)} ms, status ${result.status}`,
  );
  expect(result.status).toBe(200);
}

const CASES: Array<[string, string[]]> = [
  ["no adversarial text (the baseline)", []],
  ["300 KB of spaces before the disclaimer (the contract)", [reminder(`${" ".repeat(300_000)}${DISCLAIMER}`)]],
  ["1 MB of spaces, no match", [reminder(" ".repeat(MB))]],
  ["1 MB of near-matches", [reminder(fill(" IMPORTANT: this context may or may not be relevant to your tasks", MB))]],
  ["1 MB of a filter's own prefix repeated", [reminder(fill("Available agent types for the Agent tool:\n", MB))]],
  [
    "sixteen 60 KB runs of spaces, each ending in the disclaimer (under the per-unit limit: the budget is spent)",
    Array(16).fill(reminder(`${" ".repeat(60_000)}${DISCLAIMER}`)),
  ],
  ["1 MB of words for a catastrophic pattern", [reminder(fill("word ", MB))]],
  ["sixteen 60 KB runs of words (under the per-unit limit)", Array(16).fill(reminder(fill("word ", 60_000)))],
  // Not a rule's regex: the reminder splitter's own (it scanned to the end from every unclosed tag).
  ["1 MB of opening tags with no closing one", [fill("<system-reminder>", MB)]],
];

describeWithShared("mallex proxy stays responsive while rules read adversarial text", () => {
  it("the shipped config: /health answers within the bound for every adversarial reminder", async () => {
    const proxy = await startProxyProcess(["--backend-url", mlx.url]);
    running.push(proxy);
    await warmUp(proxy);
    for (const [name, reminders] of CASES) {
      const result = await sendWhilePolling(proxy, requestWith(reminders));
      console.info(
        `shipped config, ${name}: worst /health ${result.worstHealthMs.toFixed(0)} ms, request ${result.requestMs.toFixed(0)} ms, status ${result.status}`,
      );
      // 400 where the reminders are over the profile's input budget: measured after trimming, so the rules ran first.
      if (result.status !== 200)
        expect({ status: result.status, text: result.text }).toMatchObject({ status: 400, text: expect.stringContaining("prompt is too long") });
      expect(result.worstHealthMs).toBeLessThan(HEALTH_BOUND_MS);
    }
  });

  it("a team rule with a catastrophic pattern compiles (it runs in linear time) and freezes nothing", async () => {
    const dir = writeTree({
      "mallex.yaml": `include: ["${join(packageRoot, "mallex.yaml")}"]\nfilters:\n  - { id: team-catastrophic, where: [reminder, system_message, tool_result], pattern: '(\\w+\\s?)+ZZZQQQ', action: drop }\n`,
    });
    const proxy = await startProxyProcess(["--config", join(dir, "mallex.yaml"), "--backend-url", mlx.url]);
    running.push(proxy);
    await warmUp(proxy);
    for (const [name, reminders] of CASES) {
      const result = await sendWhilePolling(proxy, requestWith(reminders));
      console.info(
        `team rule (\\w+\\s?)+ZZZQQQ, ${name}: worst /health ${result.worstHealthMs.toFixed(0)} ms, request ${result.requestMs.toFixed(0)} ms, status ${result.status}`,
      );
      // 400 where the reminders are over the profile's input budget: measured after trimming, so the rules ran first.
      if (result.status !== 200)
        expect({ status: result.status, text: result.text }).toMatchObject({ status: 400, text: expect.stringContaining("prompt is too long") });
      expect(result.worstHealthMs).toBeLessThan(HEALTH_BOUND_MS);
    }
  });
});
