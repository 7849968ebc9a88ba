/**
 * The dashboard at /ui in a real browser (chromium through playwright-core) against a real
 * `mallex proxy` (the built CLI: `npm run build` first, as `npm test` does) supervising the fake
 * mlx-lm.server: the page loads without a console error, a request shows in the table within a
 * second of its end with the model asked for and the profile it went to, the server's states show
 * as they change (starting → ready → stopped by idle unload, then by its Start and Stop buttons), an
 * answer mallex's cap cut says so, the Context panel marks the profile no tier uses, a request's
 * explanation opens in words (its JSON a fold away) with its prompt text hidden, and a mallex with a
 * token gives the page nothing until the token is entered.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { inConfigFile } from "../src/shared/in-config-file.js";

const FAKE = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const SECRET_PROMPT = "the words of a private prompt";

function configWith(extra: string, serverFlags = ""): string {
  const dir = writeTree({
    "mallex.yaml": `backends:
  mlx:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: "'${process.execPath}' '${FAKE}' --model {model} --host {host} --port {port} --load-ms 800${serverFlags}"
      idle_unload_minutes: 0.05
profiles:
  coder: { backend: mlx, model: mlx-community/Test-4bit, size: small, max_output_tokens: 4 }
  spare: { backend: mlx, model: mlx-community/Spare-4bit, size: small, aliases: ["spare*"] }
tiers:
  medium: { profile: coder }
${extra}`,
  });
  return join(dir, "mallex.yaml");
}

async function ask(url: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01", ...headers },
    body: JSON.stringify({ model: "claude-dashboard-test", max_tokens: 16, messages: [{ role: "user", content: SECRET_PROMPT }] }),
  });
}

describeWithBrowser("the dashboard in a browser", () => {
  let browser: Browser;
  let proxy: MallexProxyProcess | undefined;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  const openPage = async (url: string) => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    problems = [];
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    // The page may talk to its own mallex only.
    page.on("request", (request) => {
      if (!request.url().startsWith(url)) problems.push(`request off the machine: ${request.url()}`);
    });
    const response = await page.goto(`${url}/ui`);
    expect(response?.status()).toBe(200);
  };
  afterEach(async () => {
    await page?.close();
    await proxy?.stop();
    proxy = undefined;
  });

  it("shows a request once it ends, the server's states as they change, and a request's explanation", async () => {
    const config = configWith("");
    proxy = await startProxyProcess(["--config", config]);
    await openPage(proxy.url);
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 5000 });

    const answer = ask(proxy.url);
    await page.locator('.server[data-state="starting"]').waitFor({ timeout: 5000 });
    await page.locator('.server[data-state="ready"]').waitFor({ timeout: 10_000 });
    const response = await answer;
    expect(response.status).toBe(200);
    // The memory budget's bar, and the server's size once measured (its processes' RSS when ready).
    await page.locator("#memory", { hasText: /memory: [\d.]+ GB held of the budget of [\d.]+ GB/ }).waitFor({ timeout: 5000 });
    await page.locator(".server .facts", { hasText: /[\d.]+ GB \(measured\)/ }).waitFor({ timeout: 5000 });
    const requestId = response.headers.get("request-id")!;
    // Without a reload: the page hears of the request from /ui/events.
    const row = page.locator(`tr[data-id="${requestId}"]`);
    await row.waitFor({ timeout: 10_000 });
    await expect(row.locator(".model").textContent()).resolves.toBe("claude-dashboard-test");
    await expect(row.locator(".profile").textContent()).resolves.toBe("coder");
    // The profile's max_output_tokens (4) cut the answer: Claude Code was told max_tokens, and the answer names the cap.
    await expect(row.locator(".stop").textContent()).resolves.toBe("stop max_tokens (cut at 4 tokens by mallex's cap)");
    await expect(row.locator(".stop").getAttribute("title")).resolves.toBe("Claude Code was told max_tokens, with a note in the answer naming the cap");

    // The Context panel: the tier's profile, and the one only an alias reaches marked as no tier's.
    await expect(page.locator('.context[data-profile="coder"] .used').textContent()).resolves.toBe("used by tier medium");
    const spare = page.locator('.context[data-profile="spare"]');
    await expect(spare.getAttribute("data-used")).resolves.toBe("no");
    await expect(spare.locator(".used").textContent()).resolves.toBe("no tier uses it: only a model named like spare* reaches it");

    await row.click();
    const panel = page.locator("#explanation");
    await panel.locator("h2", { hasText: requestId }).waitFor({ timeout: 3000 });
    // In words, not JSON: the route as labelled facts, every rule as a table row, how it ended.
    const fact = (part: string, label: string) =>
      panel
        .locator(`[data-part="${part}"] dt`, { hasText: new RegExp(`^${label}$`) })
        .locator("xpath=following-sibling::dd[1]")
        .first()
        .textContent();
    await expect(panel.locator('[data-part="route"] h3').textContent()).resolves.toBe("Route and what every rule did");
    await expect(fact("route", "profile")).resolves.toBe("coder");
    await expect(fact("route", "tier")).resolves.toBe("medium");
    await expect(fact("route", "model")).resolves.toBe("mlx-community/Test-4bit");
    expect(await panel.locator('[data-part="route"] .rules-table tbody tr, [data-part="route"] .trim .note').count()).toBeGreaterThan(0);
    await expect(fact("ending", "status")).resolves.toBe("200 ok");
    await expect(fact("ending", "stop")).resolves.toBe(
      "max_tokens: cut at 4 tokens by mallex's cap (Claude Code was told max_tokens, with a note naming the cap)",
    );
    await expect(panel.locator('[data-part="ending"] .notes').textContent()).resolves.toContain(
      `cut at 4 tokens by max_output_tokens of profile coder ${inConfigFile({ path: config, shipped: false })}`,
    );
    // The client's request first, in outline: how many messages, by role.
    await expect(fact("sent", "messages")).resolves.toBe("1 (user)");
    // The saved JSON stays a fold away, closed: none of it shows until asked for.
    expect(await panel.locator("details[open]").count()).toBe(0);
    expect(await panel.locator("pre").first().isVisible()).toBe(false);
    await panel.locator("summary", { hasText: "upstream request" }).click();
    const explanation = (await panel.textContent()) ?? "";
    expect(explanation).toContain("‹");
    expect(explanation).not.toContain(SECRET_PROMPT);

    // Idle unload (0.05 min = 3 s after the request) shows without a reload.
    await page.locator('.server[data-state="stopped"]').waitFor({ timeout: 10_000 });
    // Its Start and Stop buttons.
    await page.locator(".server button", { hasText: "Start" }).click();
    await page.locator('.server[data-state="ready"]').waitFor({ timeout: 10_000 });
    await page.locator(".server button", { hasText: "Stop" }).click();
    await page.locator('.server[data-state="stopped"]').waitFor({ timeout: 10_000 });
    expect(proxy.output()).toContain("dashboard: stop model server");
    expect(problems).toEqual([]);
  });

  it("shows a request under way with its server's prefill progress, and takes it away at its end", async () => {
    // The user's request prefills for 3 s (mlx-lm.server's `: keepalive N/M` comments meanwhile); the readiness probe's at once.
    const respond = join(
      writeTree({
        "respond.mjs": `export default (request) => (JSON.stringify(request.body).includes(${JSON.stringify(SECRET_PROMPT)}) ? { text: "ok", prefillMs: 3000 } : undefined);\n`,
      }),
      "respond.mjs",
    );
    proxy = await startProxyProcess(["--config", configWith("", ` --respond '${respond}'`)]);
    await openPage(proxy.url);
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 5000 });
    // Streamed, as Claude Code asks: the server's progress comes on the stream.
    const answer = fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-dashboard-test", max_tokens: 16, stream: true, messages: [{ role: "user", content: SECRET_PROMPT }] }),
    });
    const card = page.locator('#in-flight .in-flight[data-phase="prefill"]');
    await card.locator(".facts", { hasText: /^prefill 0 of \d+ prompt tokens \(0%\)$/ }).waitFor({ timeout: 15_000 });
    await expect(card.locator("strong").textContent()).resolves.toBe("medium → coder");
    expect(await card.locator("progress").count()).toBe(1);
    const response = await answer;
    expect(response.status).toBe(200);
    await response.text();
    await page.locator("#in-flight-panel").waitFor({ state: "hidden", timeout: 5000 });
    expect(problems).toEqual([]);
  });

  it("gives a page without the token nothing but the token prompt, and everything with it", async () => {
    const token = "dashboard-token-0123456789";
    proxy = await startProxyProcess(["--config", configWith(`server: { auth_token: "${token}" }\n`)]);
    expect((await fetch(`${proxy.url}/ui/events`)).status).toBe(401);
    expect((await fetch(`${proxy.url}/ui/api/snapshot`)).status).toBe(401);
    await openPage(proxy.url);
    await page.locator("#login").waitFor({ state: "visible", timeout: 5000 });
    await expect(page.locator("#status").textContent()).resolves.toBe("needs the token");
    expect(await page.locator("#requests tr[data-id]").count()).toBe(0);
    // Only the token's form, naming where the link with the token is printed: the panels, which would
    // speak of servers the page was never told of, stay hidden (issue 50).
    await expect(page.locator("#login").textContent()).resolves.toContain("mallex status");
    await expect(page.locator("#data").isHidden()).resolves.toBe(true);

    const response = await ask(proxy.url, { "x-api-key": token });
    expect(response.status).toBe(200);
    await page.locator("#token").fill(token);
    await page.locator("#login button").click();
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 5000 });
    await expect(page.locator("#data").isVisible()).resolves.toBe(true);
    await page.locator(`tr[data-id="${response.headers.get("request-id")}"]`).waitFor({ timeout: 3000 });
    await expect(
      page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(key: string): string | null } }).sessionStorage.getItem("mallex-token")),
    ).resolves.toBe(token);
    // The 401 of the first try is the browser's console error for a failed fetch; nothing else is.
    expect(problems.filter((p) => !p.includes("401"))).toEqual([]);
  });
});
