/**
 * The dashboard's Pools panel in a real browser (chromium through playwright-core) against a real
 * `mallex proxy` (the built CLI: `npm run build` first) whose backend is a pool of two fake
 * mlx-lm.servers with a `pool:` block: both servers show closed, and when one fake is killed a
 * request placed on it fails over and the panel shows that server `open`, without a reload.
 */
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

function pooledConfig(urls: string[]): string {
  const dir = writeTree({
    "mallex.yaml": `backends:
  lan:
    kind: openai
    flavor: mlx-lm
    urls: [${urls.map((url) => `"${url}"`).join(", ")}]
    pool: { allowed_fails: 1, cooldown_s: 60, probe_interval_s: 0 }
profiles:
  coder: { backend: lan, model: mlx-community/Test-4bit, size: small }
tiers:
  medium: { profile: coder }
`,
  });
  return join(dir, "mallex.yaml");
}

const ask = (url: string, session: string) =>
  fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", "x-claude-code-session-id": session },
    body: JSON.stringify({ model: "claude-pool-test", max_tokens: 16, messages: [{ role: "user", content: `Hello from ${session}.` }] }),
  });

describeWithBrowser("the dashboard's pools in a browser", () => {
  let browser: Browser;
  let proxy: MallexProxyProcess | undefined;
  let page: Page | undefined;
  let fakes: FakeMlxServer[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await page?.close();
    await proxy?.stop();
    await Promise.all(fakes.map((fake) => fake.close()));
    proxy = undefined;
    fakes = [];
  });

  it("shows each pool server, and the one whose server was killed goes open", async () => {
    fakes = [await createFakeMlxServer(), await createFakeMlxServer()];
    const [a, b] = fakes.map((fake) => fake.url) as [string, string];
    proxy = await startProxyProcess(["--config", pooledConfig([a, b])]);
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${proxy.url}/ui`);
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 5000 });
    await page.locator("#pools-panel").waitFor({ state: "visible", timeout: 3000 });
    const card = (url: string, state: string) => page!.locator(`.pool-server[data-url="${url}"][data-state="${state}"]`);
    await card(a, "closed").waitFor({ timeout: 3000 });
    await card(b, "closed").waitFor({ timeout: 3000 });

    expect((await ask(proxy.url, "s1")).status).toBe(200);
    await fakes[1]!.close();
    // The second session is placed on the dead server: it fails over to the other, and one failure (allowed_fails: 1) opens its breaker.
    expect((await ask(proxy.url, "s2")).status).toBe(200);
    await card(b, "open").waitFor({ timeout: 3000 });
    // Its cool-down (cooldown_time: 60 s) counts down on the card.
    await expect(card(b, "open").locator(".facts").textContent()).resolves.toMatch(/^cooling down, (1 min 0 s|5\d s) left · /);
    await expect(card(a, "closed").locator(".facts").textContent()).resolves.toContain("2 sessions");
    expect(proxy.output()).toMatch(new RegExp(`server ${b.replace(/[.]/g, "\\.")} failed 1 times in a row; its sessions move to the other servers for 60 s`));
    expect(problems).toEqual([]);
  });
});
