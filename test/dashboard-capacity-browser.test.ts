/**
 * The dashboard's Capacity and Context panels in a real browser (chromium through playwright-core)
 * against a real `mallex proxy` (the built CLI: `npm run build` first) in front of a fake llama-server
 * whose /props says 4,096 tokens per slot and 2 slots, for a profile that declares 32,768: the queue
 * shows 2 at once from the server's /props, the profile its 4,096-token window and 3,072-token budget
 * from the server with the declared window it lowered, and a request in flight shows on the queue
 * and leaves it without a reload.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { llamaServerProps, startFactsServer, type FakeFactsServer } from "./fakes/fake-facts-servers.js";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

/** A llama-server started with -c 8192 -np 2 (4,096 tokens per slot) whose chat completions never answer: a request stays in flight until its client leaves. */
function startHoldingLlamaServer(): Promise<FakeFactsServer> {
  return startFactsServer((request) => {
    const path = request.path.split("?")[0];
    if (request.method === "GET" && path === "/props") return { body: llamaServerProps({ nCtx: 4096, totalSlots: 2, modelPath: "/models/tiny.gguf" }) };
    if (request.method === "POST" && path === "/v1/chat/completions") return { hang: true };
    return undefined;
  });
}

function configFor(url: string): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-capacity-ui-"));
  const config = join(dir, "mallex.yaml");
  writeFileSync(
    config,
    `include: [mallex]
backends:
  ext: { kind: openai, flavor: llama-server, base_url: "${url}" }
profiles:
  tiny: { backend: ext, model: tiny, size: small, context_window: 32768, input_budget: 20000, max_output_tokens: 256 }
tiers:
  low: { profile: tiny }
  medium: { profile: tiny }
`,
  );
  return config;
}

describeWithBrowser("the dashboard's capacity and context in a browser", () => {
  let browser: Browser;
  let server: FakeFactsServer | undefined;
  let proxy: MallexProxyProcess | undefined;
  let page: Page | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.close();
    await proxy?.stop();
    await server?.close();
    proxy = undefined;
    server = undefined;
  });

  it("shows the queue's limits and the profile's context read from the server's /props, and a request in flight live", async () => {
    server = await startHoldingLlamaServer();
    proxy = await startProxyProcess(["--config", configFor(server.url)]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${proxy.url}/ui`);
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 5000 });

    await page.locator("#capacity-panel").waitFor({ state: "visible", timeout: 3000 });
    const queue = page.locator('#capacity .queue[data-backend="ext"]');
    await expect(queue.locator(".load").textContent()).resolves.toBe("0 / 2 in flight · 0 / 16 waiting");
    await expect(queue.locator(".facts").textContent()).resolves.toBe("at once: server: llama-server GET /props · waiting: 4 × in flight, at least 16");
    // Only the backends a request can reach: ext, and mlx through the shipped qwen3-coder-30b's alias (not the include's llama, ollama, embedded).
    await expect(page.locator("#capacity .queue").evaluateAll((cards) => cards.map((card) => card.getAttribute("data-backend")).sort())).resolves.toEqual([
      "ext",
      "mlx",
    ]);

    await page.locator("#contexts-panel").waitFor({ state: "visible", timeout: 3000 });
    const tiny = page.locator('#contexts .context[data-profile="tiny"]');
    await expect(tiny.getAttribute("data-context-window")).resolves.toBe("4096");
    await expect(tiny.locator(".load").textContent()).resolves.toBe("4096 tokens · prompt budget 3072");
    await expect(tiny.locator(".facts").textContent()).resolves.toBe("from llama-server GET /props; context_window 32768 lowered to it");
    await expect(tiny.locator(".key").textContent()).resolves.toBe("backend ext");
    // The shipped profiles include reaches qwen3-coder-30b by its alias: its window is the declared one until its server says otherwise.
    await expect(page.locator('#contexts .context[data-profile="qwen3-coder-30b"] .facts').textContent()).resolves.toBe("context_window as declared");

    // A request the server holds: on the queue while it runs, gone once its client leaves, with no reload.
    const client = new AbortController();
    const asked = fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-haiku-4-5", max_tokens: 16, stream: true, messages: [{ role: "user", content: "Hello." }] }),
      signal: client.signal,
    }).then(
      (response) => response.body?.cancel(),
      () => undefined,
    );
    await page.locator('#capacity .queue[data-backend="ext"][data-in-flight="1"]').waitFor({ timeout: 5000 });
    await expect(queue.locator(".load").textContent()).resolves.toBe("1 / 2 in flight · 0 / 16 waiting");
    client.abort();
    await asked;
    await page.locator('#capacity .queue[data-backend="ext"][data-in-flight="0"]').waitFor({ timeout: 5000 });

    // Server text is never parsed as HTML: the panels hold text nodes only.
    await expect(
      page
        .locator("#capacity *, #contexts *")
        .evaluateAll((nodes) => nodes.map((node) => node.tagName.toLowerCase()).filter((tag) => !["div", "strong", "span", "meter"].includes(tag))),
    ).resolves.toEqual([]);
    expect(problems).toEqual([]);
  });
});
