/**
 * The dashboard's Models tab in a real browser (chromium through playwright-core) against a real
 * `mallex proxy` (the built CLI: `npm run build` first) on a fresh MALLEX_HOME holding the model kit's
 * GGUFs in MALLEX_HOME/models, a profile's speeds learned by its requests (ttft-rates.json, written by
 * the store) and `mallex eval` runs (evals/, written by saveEvalRun): the page lists each model with
 * what its header says, the speed and the eval score beside the model they belong to, and a row opens
 * its eval history. /ui/api/models answers what `mallex models --json` prints, and nothing without the
 * token or to another web site.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ListedModel } from "../src/models/model-entry.js";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { writeTree } from "./helpers/config-tree.js";
import { evalVariant, learnSpeeds, saveRun, STARTED_BY_MALLEX } from "./helpers/measured-home.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { runCli } from "./helpers/run-cli.js";

const FAKE = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const TOKEN = "models-tab-token-0123456789";
const CHAT = "SmolLM2-135M-Instruct.Q4_1";
const SMALL = "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M";

describeWithBrowser("the Models tab in a browser", () => {
  describeWithModelKit("on the model kit's GGUFs", () => {
    let browser: Browser;
    let proxy: MallexProxyProcess;
    let page: Page;
    let home: string;
    let config: string;
    const problems: string[] = [];

    beforeAll(async () => {
      const { chat_gguf, mlx_model_gguf } = kit();
      home = mkdtempSync(join(tmpdir(), "mallex-models-tab-"));
      mkdirSync(join(home, "models"));
      const chat = join(home, "models", `${CHAT}.gguf`);
      const small = join(home, "models", `${SMALL}.gguf`);
      symlinkSync(chat_gguf, chat);
      symlinkSync(mlx_model_gguf, small);
      // The chat model is a tier's, on a llama-server mallex would start (no request starts it here);
      // the other is in MALLEX_HOME/models only, and was evaluated with `--embedded` (its path).
      config = join(
        writeTree({
          "mallex.yaml": `server: { auth_token: "${TOKEN}" }
backends:
  llama:
    kind: openai
    flavor: llama-server
    supervise:
      command: "'${process.execPath}' '${FAKE}' --model {model} --host {host} --port {port}"
profiles:
  chat: { backend: llama, model: "${chat}", size: small }
tiers:
  medium: { profile: chat }
`,
        }),
        "mallex.yaml",
      );
      await learnSpeeds(home, [
        {
          profile: "chat",
          model: chat,
          server: STARTED_BY_MALLEX("llama-server"),
          at: "2025-06-02T08:30:00.000Z",
          samples: [1, 2, 3].map((i) => ({ prefill: 1_900 + i * 50, decode: 55 + i / 2, ttftMs: 400 + i * 5 })),
        },
      ]);
      const embedded = { kind: "openai", flavor: "embedded", url: "embedded" } as const;
      saveRun(home, "2025-06-03T09:00:00.000Z", [evalVariant(small, 2, 4, { profile: "embedded", pinned: true, server: embedded })]);
      saveRun(home, "2025-06-04T09:00:00.000Z", [evalVariant(small, 3, 4, { profile: "embedded", pinned: true, server: embedded })], {
        path: "/pkg/eval/tasks",
        tasks: 2,
        only: ["run-command", "find-function"],
      });
      saveRun(home, "2025-06-05T09:00:00.000Z", [evalVariant(chat, 1, 4, { profile: "chat" })]);

      browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
      proxy = await startProxyProcess(["--config", config], home);
      page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
      page.on("console", (message) => {
        if (message.type() === "error") problems.push(message.text());
      });
      page.on("pageerror", (error) => problems.push(error.message));
      page.on("request", (request) => {
        if (!request.url().startsWith(proxy.url)) problems.push(`request off the machine: ${request.url()}`);
      });
      // The link `mallex status` prints: the token in the fragment, which no server sees.
      await page.goto(`${proxy.url}/ui#token=${TOKEN}`);
      await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 10_000 });
    }, 60_000);
    afterAll(async () => {
      await page?.close();
      await proxy?.stop();
      await browser?.close();
      if (home) rmSync(home, { recursive: true, force: true });
    });

    it("lists the models with their facts, and each one's measured speed and eval score beside it", async () => {
      await page.locator('nav button[data-tab="models"]').click();
      const chat = page.locator(`#models tr.model[data-name="${CHAT}"]`);
      await chat.waitFor({ timeout: 20_000 });
      const small = page.locator(`#models tr.model[data-name="${SMALL}"]`);
      const cells = async (row: typeof chat, names: string[]) =>
        Object.fromEntries(await Promise.all(names.map(async (name) => [name, (await row.locator(`td.${name}`).textContent())?.trim()])));
      const facts = ["format", "arch", "params", "quant", "context", "use", "model-state", "prefill", "decode", "ttft", "eval"];
      expect(await cells(chat, facts)).toEqual({
        format: "gguf",
        arch: "llama",
        params: "135M",
        quant: "Q4_1",
        context: "8,192",
        use: "chat (medium)",
        "model-state": "on disk",
        prefill: "2000 tok/s",
        decode: "56 tok/s",
        ttft: "0.41 s",
        eval: "25% (1 of 4) on 2025-06-05 · 1 run",
      });
      expect(await cells(small, facts)).toEqual({
        format: "gguf",
        arch: "qwen2",
        params: "630M",
        quant: "Q4_K_M",
        context: "32,768",
        use: "-",
        "model-state": "on disk",
        prefill: "—",
        decode: "—",
        ttft: "—",
        eval: "75% (3 of 4) on 2025-06-04 · 2 runs",
      });
      await expect(chat.locator("td.fits").textContent()).resolves.toMatch(/^yes \([\d.]+ GB\)$/);
      await expect(chat.locator("td.prefill").getAttribute("title")).resolves.toBe(
        "profile chat on llama-server (started by mallex): medians of 3 recent requests",
      );
      // Where the action buttons go: one cell per row, named by the model's path.
      await expect(small.locator("td.actions").getAttribute("data-key")).resolves.toBe(join(home, "models", `${SMALL}.gguf`));
      // The tier's model first.
      await expect(page.locator("#models tr.model").first().getAttribute("data-name")).resolves.toBe(CHAT);

      // A click opens its details: every run's score, newest first, with its suite and settings.
      await small.locator("button.toggle").click();
      const details = page.locator(`#models tr.model-details[data-key="${join(home, "models", `${SMALL}.gguf`)}"]`);
      await details.waitFor({ timeout: 3000 });
      await expect(details.locator("table.evals tbody tr td.score").allTextContents()).resolves.toEqual(["75% (3 of 4)", "50% (2 of 4)"]);
      await expect(details.locator("table.evals tbody tr").first().textContent()).resolves.toContain("tasks: run-command, find-function");
      await expect(details.locator("table.evals tbody tr").first().textContent()).resolves.toContain("profile embedded (pinned)");
      await expect(details.locator("p.empty").first().textContent()).resolves.toMatch(/^No request has measured it yet/);
      await chat.click();
      const chatDetails = page.locator(`#models tr.model-details[data-key="${join(home, "models", `${CHAT}.gguf`)}"]`);
      await expect(chatDetails.locator("table.speeds tbody tr td").allTextContents()).resolves.toEqual([
        "chat",
        "llama-server (started by mallex)",
        "2000 tok/s",
        "56 tok/s",
        "0.41 s",
        "3 / 3 / 3",
        "2025-06-02 08:30",
      ]);
      // Closed again by its row; the other stays open.
      await small.click();
      await details.waitFor({ state: "detached", timeout: 3000 });
      expect(await chatDetails.count()).toBe(1);
      expect(problems).toEqual([]);
    });

    it("/ui/api/models answers what mallex models --json prints, and nothing without the token or to another web site", async () => {
      const asked = await fetch(`${proxy.url}/ui/api/models`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(asked.status).toBe(200);
      const listed = await runCli(["models", "--json", "--config", config], { env: { MALLEX_HOME: home } });
      expect(listed.exitCode).toBe(0);
      expect((await asked.json()) as ListedModel[]).toEqual(JSON.parse(listed.stdout) as ListedModel[]);
      expect((await fetch(`${proxy.url}/ui/api/models`)).status).toBe(401);
      expect((await fetch(`${proxy.url}/ui/api/models`, { headers: { authorization: "Bearer not-the-token" } })).status).toBe(401);
      for (const foreign of [{ origin: "http://evil.example" }, { "sec-fetch-site": "cross-site" }] as Array<Record<string, string>>)
        expect((await fetch(`${proxy.url}/ui/api/models`, { headers: { ...foreign, authorization: `Bearer ${TOKEN}` } })).status).toBe(403);
    });
  });
});
