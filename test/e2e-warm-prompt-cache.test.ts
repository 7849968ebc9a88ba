import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parseSSE } from "./fakes/read-sse.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, readCapture, sharedPath } from "./helpers/shared-dir.js";

/**
 * A new session's first request finds the system prompt and tools in the engine's cache: mallex
 * remembers the prefix its sessions start with (MALLEX_HOME/stable-prefixes.json), and gives it to
 * the engine as soon as the engine is ready, before the session's request is served. Real processes,
 * the real engine on a tiny real GGUF, Claude Code's captured first request.
 */
const RANDOM = sharedPath("models", "llama-2-tiny-random-chatml.gguf");

type Usage = { input_tokens: number; cache_read_input_tokens: number };

/** Claude Code's captured first request, from another repository, day and commit when `session` says so. */
function firstRequest(session: "a" | "b") {
  const body = readCapture("main-request-2plus2.json").body;
  const text = JSON.stringify({ ...body, stream: true, max_tokens: 1 });
  return session === "a" ? text : text.replaceAll("tiny-repo", "billing-service").replaceAll("2026-11-21", "2026-11-24").replaceAll("a36f7cd", "9c1e2d4");
}

async function usageOf(proxy: MallexProxyProcess, body: string): Promise<Usage> {
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-api-key": "local", "anthropic-version": "2023-06-01" },
    body,
  });
  expect(response.status).toBe(200);
  const events = parseSSE(await response.text()).map((event) => JSON.parse(event.data) as { type: string; usage?: Usage });
  return events.find((event) => event.type === "message_delta")!.usage!;
}

describeWithShared("the engine's prompt cache warmed when it becomes ready", () => {
  it("a new session's first request reads ≥ 85% of its prompt from the cache, after a restart", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-warm-"));
    const args = ["--embedded", RANDOM, "--threads", "1", "--ctx-size", "8192"];
    const first = await startProxyProcess(args, home);
    try {
      await usageOf(first, firstRequest("a"));
    } finally {
      await first.stop();
    }
    expect(existsSync(join(home, "stable-prefixes.json"))).toBe(true);

    const second = await startProxyProcess(args, home);
    try {
      const usage = await usageOf(second, firstRequest("b"));
      const total = usage.input_tokens + usage.cache_read_input_tokens;
      expect(usage.cache_read_input_tokens / total).toBeGreaterThanOrEqual(0.85);
      expect(second.output()).toMatch(/prompt cache warmed with the system prompt and tools \(\d+ tokens\)/);
    } finally {
      await second.stop();
    }
  });
});
