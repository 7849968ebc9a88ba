/**
 * The Models tab's actions in a real browser (chromium through playwright-core) against a real
 * `mallex proxy` (the built CLI: `npm run build` first) on a fresh MALLEX_HOME: the user's mallex.yaml
 * as `mallex init` leaves it, the model kit's GGUFs linked into MALLEX_HOME/models, the fake mlx server
 * behind `--backend-url`, a fake Hugging Face (HF_ENDPOINT) and the real Claude Code for the eval. From
 * the page: a model put on a tier (the diff first, then Apply: mallex.yaml written, `mallex compile`
 * agrees, the next request goes to the new profile), a change refused (too big; the file edited
 * meanwhile) with mallex's sentence in the row and nothing written, a download with its progress that
 * then shows in the list, its removal, and an eval that runs on the Eval tab and whose score then
 * shows beside the model. test/model-actions-cli.test.ts checks the same actions over HTTP alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, DEFAULT_MODEL, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { startFakeHuggingFace, type FakeHuggingFace } from "./fakes/fake-hugging-face.js";
import { competentCoder } from "./fakes/scripted-coder.js";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { PINNED_CLAUDE_CODE } from "./helpers/claude-code-versions.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { runCli } from "./helpers/run-cli.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const TOKEN = "models-actions-page-token-0123456789";
const CHAT = "SmolLM2-135M-Instruct.Q4_1";
const SMALL = "Qwen2.5-Coder-0.5B-Instruct.Q4_K_M";

/** The user's file: `mallex init`'s shape (the shipped default included, aligned tiers with comments), and a profile no machine can hold. */
const USER_FILE = `# My settings: every line of this file stays as I wrote it.
include: [mallex]

server:
  auth_token: "${TOKEN}"

profiles:
  coder: { backend: mlx, model: ${DEFAULT_MODEL}, size: small }   # the model I use
  huge:
    backend: embedded
    model: hf:nobody/Huge-GGUF/huge-Q8_0.gguf
    size: large
    min_ram_gb: 100000

# --- Effort tiers -------------------------------------------------------------------------------
tiers:
  low:    { profile: coder }   # local
  medium: { profile: coder }   # local
  high:   { profile: coder }   # local
`;

describeWithBrowser("the Models tab's actions in a browser", () => {
  describeWithModelKit("on the model kit's GGUFs", () => {
    describeWithShared("with a model to download", () => {
      let browser: Browser;
      let proxy: MallexProxyProcess;
      let mlx: FakeMlxServer;
      let hub: FakeHuggingFace;
      let page: Page;
      let home: string;
      let config: string;
      let chat: string;
      const problems: string[] = [];
      const stories = () => readFileSync(sharedPath("models", "stories260K.gguf"));
      const row = (name: string) => page.locator(`#models tr.model[data-name="${name}"]`);
      /** The row under a model's where its action shows. */
      const panel = (name: string) => page.locator(`#models tr.model[data-name="${name}"] + tr.model-action`);

      beforeAll(async () => {
        home = mkdtempSync(join(tmpdir(), "mallex-models-actions-"));
        config = join(home, "mallex.yaml");
        writeFileSync(config, USER_FILE);
        mkdirSync(join(home, "models"));
        mkdirSync(join(home, "tmp"));
        mkdirSync(join(home, "hf"));
        chat = join(home, "models", `${CHAT}.gguf`);
        symlinkSync(kit().chat_gguf, chat);
        symlinkSync(kit().mlx_model_gguf, join(home, "models", `${SMALL}.gguf`));
        mlx = await createFakeMlxServer({ respond: competentCoder, availableModels: [chat, realpathSync(chat)] });
        hub = await startFakeHuggingFace({ "tiny/stories-GGUF": { files: { "stories260K.gguf": stories() } } });
        proxy = await startProxyProcess(["--backend-url", mlx.url], home, {
          HOME: home,
          HF_HOME: join(home, "hf"),
          HF_ENDPOINT: hub.url,
          TMPDIR: join(home, "tmp"),
          PATH: [PINNED_CLAUDE_CODE.binDir, process.env.PATH ?? ""].join(delimiter),
          DISABLE_TELEMETRY: "1",
          CLAUDE_CODE_MAX_RETRIES: "0",
        });
        browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
        page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
        page.on("console", (message) => {
          // A refusal is an answer the page shows: the browser's own line about its status is no problem of the page.
          if (message.type() === "error" && !/^Failed to load resource: the server responded with a status of (400|409|422)\b/.test(message.text()))
            problems.push(message.text());
        });
        page.on("pageerror", (error) => problems.push(error.message));
        page.on("request", (request) => {
          if (!request.url().startsWith(proxy.url)) problems.push(`request off the machine: ${request.url()}`);
        });
        await page.goto(`${proxy.url}/ui#token=${TOKEN}`);
        await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 10_000 });
        await page.locator('nav button[data-tab="models"]').click();
        await row(CHAT).waitFor({ timeout: 30_000 });
      }, 90_000);
      afterAll(async () => {
        await page?.close();
        await browser?.close();
        await proxy?.stop();
        await mlx?.close();
        await hub?.stop();
        if (home) rmSync(home, { recursive: true, force: true });
      });

      it("refuses a model too big for this machine: mallex's sentence in the row, nothing written", async () => {
        await row("huge-Q8_0").locator("select.put-on-tier").selectOption("medium");
        await expect(panel("huge-Q8_0").locator(".refusal").textContent({ timeout: 20_000 })).resolves.toMatch(
          /^huge-Q8_0 needs about 100000 GB of memory and this machine has [\d.]+ GB: it does not fit/,
        );
        await panel("huge-Q8_0").locator("button.dismiss").click();
        await panel("huge-Q8_0").waitFor({ state: "detached", timeout: 3000 });
        expect(readFileSync(config, "utf8")).toBe(USER_FILE);
        expect(existsSync(`${config}.bak`)).toBe(false);
      });

      it("puts a model on a tier: the diff first; refused once the file was edited meanwhile; then written, agreed by mallex compile and serving the next request", async () => {
        // The tier the chat model's row offers is chosen; its plan shows, with the file and the diff, and nothing is written yet.
        await expect(row(CHAT).locator("select.put-on-tier option:disabled").allTextContents()).resolves.toEqual([]);
        await row(CHAT).locator("select.put-on-tier").selectOption("medium");
        const plan = panel(CHAT).locator(".plan");
        await plan.waitFor({ timeout: 20_000 });
        const said = (await plan.locator("p").textContent()) ?? "";
        const profile = /^Put profile (\S+) on tier medium \(now coder\), adding profile \1: this change to (.+), not written yet:$/.exec(said);
        expect(profile, said).not.toBeNull();
        expect(profile![2]).toBe(realpathSync(config));
        const diff = (await plan.locator("pre.diff").textContent()) ?? "";
        expect(diff).toContain("-  medium: { profile: coder }   # local\n+  medium: { profile: " + profile![1] + " }   # local\n");
        expect(diff).toContain(`+  ${profile![1]}:\n`);
        await expect(plan.locator("pre.diff span.add").count()).resolves.toBeGreaterThan(1);
        expect(readFileSync(config, "utf8")).toBe(USER_FILE);

        // Edited in an editor while the plan is shown: Apply writes nothing, and says why in the row.
        const edited = `${USER_FILE}# a note I added meanwhile\n`;
        writeFileSync(config, edited);
        await plan.locator("button.apply").click();
        await expect(panel(CHAT).locator(".refusal").textContent({ timeout: 20_000 })).resolves.toBe(
          `${realpathSync(config)} was edited meanwhile (it is no longer the text this change was planned on): nothing was written; plan the change again`,
        );
        expect(readFileSync(config, "utf8")).toBe(edited);
        expect(existsSync(`${config}.bak`)).toBe(false);

        // Planned again, on the file as it is now, and applied: written, with the file before kept.
        await row(CHAT).locator("select.put-on-tier").selectOption("medium");
        await expect(plan.locator("pre.diff").textContent({ timeout: 20_000 })).resolves.toContain(" # a note I added meanwhile");
        await listReadSlowly(page);
        await plan.locator("button.apply").click();
        const applied = panel(CHAT).locator(".applied");
        await applied.waitFor({ timeout: 30_000 });
        await expect(applied.locator("p.ok").textContent()).resolves.toBe(
          `Written to ${realpathSync(config)} (the file before is kept as ${realpathSync(config)}.bak). This mallex serves the next request with it: low → coder, medium → ${profile![1]}, high → coder.`,
        );
        await expect(applied.locator(".notes li").allTextContents()).resolves.toEqual([
          `this mallex serves every local tier with --backend-url ${mlx.url}: the model itself changes when mallex starts without it`,
        ]);
        const written = readFileSync(config, "utf8");
        expect(written).toContain(`  medium: { profile: ${profile![1]} }   # local\n`);
        expect(written.endsWith("# a note I added meanwhile\n")).toBe(true);
        expect(readFileSync(`${config}.bak`, "utf8")).toBe(edited);
        // The list, read again before the sentence showed, says the model serves the tier now; it offers no Remove for a model a tier uses.
        await expect(row(CHAT).locator("td.use").textContent()).resolves.toBe(`${profile![1]} (medium)`);
        await expect(row(CHAT).locator("button.remove").count()).resolves.toBe(0);
        await expect(row(CHAT).locator("select.put-on-tier option:disabled").allTextContents()).resolves.toEqual(["medium (now)"]);
        await page.unrouteAll({ behavior: "wait" });

        const compiled = await runCli(["compile"], { cwd: join(home, "tmp"), env: { MALLEX_HOME: home, HOME: home, PATH: process.env.PATH ?? "" } });
        expect(compiled.exitCode, compiled.stderr).toBe(0);
        expect(compiled.stdout).toMatch(/^✓ compiled .*mallex\.yaml \(this machine's settings\)/m);

        const answer = await fetch(`${proxy.url}/v1/messages`, {
          method: "POST",
          headers: { "x-api-key": TOKEN, "content-type": "application/json", "anthropic-version": "2023-06-01" },
          body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "What is a closure?" }] }),
        });
        expect(answer.status, await answer.text()).toBe(200);
        expect(answer.headers.get("x-mallex-route")).toMatch(new RegExp(`^tier=medium; profile=${profile![1]}; backend=local;`));
        expect([chat, realpathSync(chat)]).toContain((mlx.requests.at(-1)?.body as { model?: string }).model);
        expect(problems).toEqual([]);
      }, 120_000);

      it("downloads a model from Hugging Face with its progress, then lists it; removes it once confirmed; a refusal says why", async () => {
        // A reference that is no Hugging Face one: the one sentence, nothing fetched.
        await page.locator("#download-ref").fill("https://example.com/x.gguf");
        await page.locator("#models-download button[type=submit]").click();
        await expect(page.locator("#models-download .download-result.error").textContent({ timeout: 10_000 })).resolves.toMatch(
          /^"https:\/\/example\.com\/x\.gguf" is not a Hugging Face reference: give hf:org\/repo\/file\.gguf/,
        );

        // Stopped while it comes: the page says so, and mallex keeps nothing of it.
        hub.throttle(16 * 1024, 200);
        await page.locator("#download-ref").fill("hf:tiny/stories-GGUF/stories260K.gguf");
        await page.locator("#models-download button[type=submit]").click();
        await page.locator("#models-download .download-line", { hasText: "%|" }).waitFor({ timeout: 20_000 });
        await page.locator("#models-download button", { hasText: "Stop" }).click();
        await expect(page.locator("#models-download .download-result.error").textContent({ timeout: 10_000 })).resolves.toBe(
          "Stopped: mallex keeps nothing of the download.",
        );
        await expect.poll(() => existsSync(join(home, "models", "hf")), { timeout: 10_000 }).toBe(false);

        // Served slowly enough for its progress to show: each line the page showed is kept.
        hub.throttle(64 * 1024, 80);
        await page.locator("#models-download").evaluate((box) => {
          // The test's own types have no DOM: the page's MutationObserver, as much of it as is used.
          const win = globalThis as unknown as { seen: string[]; MutationObserver: new (then: () => void) => { observe(node: unknown, what: object): void } };
          const seen: string[] = [];
          win.seen = seen;
          const line = box.querySelector(".download-line")!;
          const bar = box.querySelector("progress")!;
          new win.MutationObserver(() => seen.push(`${line.textContent} @ ${bar.value}`)).observe(line, {
            childList: true,
            characterData: true,
            subtree: true,
          });
        });
        await page.locator("#download-ref").fill("hf:tiny/stories-GGUF/stories260K.gguf");
        await listReadSlowly(page);
        await page.locator("#models-download button[type=submit]").click();
        const path = join(home, "models", "hf", "tiny", "stories-GGUF", "main", "stories260K.gguf");
        await expect(page.locator("#models-download .download-result.ok").textContent({ timeout: 60_000 })).resolves.toBe(`Downloaded ${path} (1 MB).`);
        hub.throttle(0, 0);
        const seen = await page.evaluate(() => (globalThis as unknown as { seen: string[] }).seen);
        // Lines of the downloader's own, partway and at the end, each with the bar at its percent.
        expect(
          seen.some((line) => /^hf:tiny\/stories-GGUF\/stories260K\.gguf:\s+[1-9]\d?%\|.* @ [1-9]\d?$/.test(line)),
          seen.join("\n"),
        ).toBe(true);
        expect(
          seen.some((line) => /^hf:tiny\/stories-GGUF\/stories260K\.gguf: 100%\|.* @ 100$/.test(line)),
          seen.join("\n"),
        ).toBe(true);
        expect(readFileSync(path).equals(stories())).toBe(true);
        // Listed by the time the sentence shows: the list is read first.
        const downloaded = row("stories260K");
        await expect(downloaded.count()).resolves.toBe(1);
        await expect(downloaded.getAttribute("data-key")).resolves.toBe(path);
        await page.unrouteAll({ behavior: "wait" });

        // A link put in the models folder is not mallex's to remove: it says so in the row, and the file stays.
        await row(SMALL).locator("button.remove").click();
        await panel(SMALL).locator("button.confirm").click();
        await expect(panel(SMALL).locator(".refusal").textContent({ timeout: 10_000 })).resolves.toMatch(
          /is not a model mallex keeps: only a \.gguf file under .* \(no link, no \.\.\)$/,
        );
        expect(existsSync(join(home, "models", `${SMALL}.gguf`))).toBe(true);

        // Remove asks first; Cancel keeps it.
        await downloaded.locator("button.remove").click();
        await expect(panel("stories260K").locator(".confirm-remove").textContent()).resolves.toContain(`Remove ${path}?`);
        await panel("stories260K").locator("button.dismiss").click();
        await panel("stories260K").waitFor({ state: "detached", timeout: 3000 });
        expect(existsSync(path)).toBe(true);
        await downloaded.locator("button.remove").click();
        await panel("stories260K").locator("button.confirm").click();
        await downloaded.waitFor({ state: "detached", timeout: 20_000 });
        expect(existsSync(path)).toBe(false);
        expect(existsSync(join(home, "models", "hf"))).toBe(false);
        expect(problems).toEqual([]);
      }, 120_000);

      it("runs an eval of the model from its row: live on the Eval tab, then its score beside the model", async () => {
        await row(CHAT).locator("button.run-eval").click();
        const form = panel(CHAT).locator("form.eval-form");
        await form.waitFor({ timeout: 3000 });
        const profile = (await form.locator("select.eval-profile").inputValue()) ?? "";
        expect(profile).not.toBe("");
        await form.locator("input.eval-task").fill("run-command");
        // Each state the Eval tab shows is kept: a run that is quick must still have shown itself running.
        await page.locator("#eval").evaluate((view) => {
          const win = globalThis as unknown as { states: string[]; MutationObserver: new (then: () => void) => { observe(node: unknown, what: object): void } };
          const states: string[] = [];
          win.states = states;
          new win.MutationObserver(() => {
            const state = view.querySelector(".state")?.textContent;
            if (state && states.at(-1) !== state) states.push(state);
          }).observe(view, { childList: true, characterData: true, subtree: true });
        });
        await form.locator("button.start-eval").click();
        // The page goes to the Eval tab, where the run shows as it goes, then how it ended.
        await page.locator("#eval-view").waitFor({ state: "visible", timeout: 20_000 });
        await expect(page.locator('nav button[data-tab="eval"]').getAttribute("aria-selected")).resolves.toBe("true");
        await page.locator("#eval .state.eval-finished").waitFor({ timeout: 240_000 });
        await expect(page.evaluate(() => (globalThis as unknown as { states: string[] }).states)).resolves.toEqual(["running", "finished"]);
        await expect(page.locator("#eval .eval-head .facts").textContent()).resolves.toContain("passed 1 of 1 (100%)");
        // The real Claude Code ran it, through this mallex, pinned to the profile.
        await expect(page.locator("#eval .eval-head .facts").textContent()).resolves.toContain(`Claude Code ${PINNED_CLAUDE_CODE.version} → ${profile}`);

        // Back on the Models tab (read again as it opens): the score beside the model, and in its history.
        await page.locator('nav button[data-tab="models"]').click();
        await expect
          .poll(async () => (await row(CHAT).locator("td.eval").textContent())?.trim(), { timeout: 20_000 })
          .toMatch(new RegExp(`^100% \\(1 of 1\\) on \\d{4}-\\d\\d-\\d\\d, ${profile.replace(/\./g, "\\.")} · 1 run$`));
        await expect(panel(CHAT).textContent()).resolves.toContain(`mallex eval of profile ${profile} started (task run-command)`);
        expect(problems).toEqual([]);
      }, 300_000);
    });
  });
});

/** The models list answers half a second late, as on a busy machine: a page that shows a change's sentence before its list is read again shows a row that contradicts it. */
async function listReadSlowly(page: Page): Promise<void> {
  await page.route(/\/ui\/api\/models$/, async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await route.continue();
  });
}
