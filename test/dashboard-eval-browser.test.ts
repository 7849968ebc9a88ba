/**
 * `mallex eval` in the dashboard, in a real browser (chromium through playwright-core): the built
 * CLI runs two tasks trimmed and untrimmed through the pinned real Claude Code against the scripted
 * model, and the link it prints opens its proxy's dashboard on the run — task n of N and its turn
 * while it goes, each task's verdict as it ends, across the proxy it opens per variant on the same
 * port. Afterwards a later `mallex proxy` on the same MALLEX_HOME shows the saved report on its Eval
 * tab, variants and all. `npm run build` first (dist/ and dist/ui).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { execa } from "execa";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { competentCoder } from "./fakes/scripted-coder.js";
import { CHROMIUM, describeWithBrowser } from "./helpers/browser.js";
import { PINNED_CLAUDE_CODE } from "./helpers/claude-code-versions.js";
import { ONE_LOCAL_PROFILE, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { MALLEX_BIN } from "./helpers/run-cli.js";

describeWithBrowser("mallex eval in the dashboard", () => {
  let browser: Browser;
  let model: FakeMlxServer;
  let proxy: MallexProxyProcess | undefined;
  const pages: Page[] = [];
  let home: string;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    model = await createFakeMlxServer({ respond: competentCoder });
    home = mkdtempSync(join(tmpdir(), "mallex-eval-home-"));
  });
  afterAll(async () => {
    await browser?.close();
    await model?.close();
    rmSync(home, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const page of pages.splice(0)) await page.close();
    await proxy?.stop();
    proxy = undefined;
  });

  const openPage = async (url: string, problems: string[]) => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    pages.push(page);
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (message) => {
      // A proxy closing between two variants breaks the page's feed once; it reconnects.
      if (message.type() === "error" && !/ERR_CONNECTION_REFUSED|Failed to load resource|network error/i.test(message.text())) problems.push(message.text());
    });
    await page.goto(url);
    await page.locator("#status", { hasText: "live" }).waitFor({ timeout: 10_000 });
    await page.locator('nav button[data-tab="eval"]').click();
    return page;
  };

  it("follows the run while it goes, and shows its saved report on a later mallex", async () => {
    const python = (await execa("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
    const eval_ = execa("node", [MALLEX_BIN, "eval", "--backend-url", model.url, "--task", "run-command", "--task", "find-function", "--trim", "on,off"], {
      reject: false,
      stdin: "ignore",
      timeout: 300_000,
      extendEnv: false,
      env: {
        HOME: home,
        MALLEX_HOME: home,
        PATH: [PINNED_CLAUDE_CODE.binDir, dirname(process.execPath), dirname(python), "/usr/bin", "/bin"].join(delimiter),
        TERM: "dumb",
        LANG: "C.UTF-8",
        CLAUDE_CODE_MAX_RETRIES: "0",
      },
    });
    let stderr = "";
    const link = await new Promise<string>((resolve, reject) => {
      eval_.stderr!.on("data", (data: Buffer) => {
        stderr += data.toString();
        const found = /live in the dashboard: (http:\/\/\S+\/ui#token=\S+)\)/.exec(stderr);
        if (found) resolve(found[1]!);
      });
      void eval_.then(() => reject(new Error(`mallex eval ended without a dashboard link:\n${stderr}`)));
    });
    const problems: string[] = [];
    const live = await openPage(link, problems);
    // The token came in the link's fragment and left the address bar.
    expect(live.url()).not.toContain("token");
    await live
      .locator(".eval-progress", { hasText: /^running: task [1-4] of 4 — (run-command|find-function) \(trim (on|off)\), turn \d+$/ })
      .waitFor({ timeout: 60_000 });
    // The first task's verdict shows as it ends, and the run goes on through the second proxy (trim off).
    await live.locator('#eval-tasks tr[data-task="find-function"][data-passed="true"]').first().waitFor({ timeout: 120_000 });
    await live.locator(".eval-progress", { hasText: /\(trim off\)/ }).waitFor({ timeout: 120_000 });
    const result = await eval_;
    expect(result.exitCode, stderr).toBe(0);

    proxy = await startProxyProcess(["--config", join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml")], home);
    const saved = await openPage(`${proxy.url}/ui`, problems);
    await saved.locator('#eval-groups tr[data-variant="trim off"]').waitFor({ timeout: 10_000 });
    await expect(saved.locator(".eval-head .facts").textContent()).resolves.toMatch(/^last run, saved · passed 4 of 4 \(100%\)/);
    await expect(saved.locator(".eval-progress").textContent()).resolves.toBe("finished");
    await expect(saved.locator('#eval-tasks tr[data-passed="true"]').count()).resolves.toBe(4);
    await expect(saved.locator('#eval-groups tr[data-variant="trim on"] td').nth(1).textContent()).resolves.toBe("2 of 2 (100%)");
    expect(problems).toEqual([]);
  }, 360_000);
});
