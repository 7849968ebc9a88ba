/**
 * The drift alarm through a real `mallex proxy` in front of the fake mlx-lm.server: a request from
 * a Claude Code newer than the releases checked (src/trim/claude-code/claude-code-versions.ts) that matches no
 * rule gives one log line naming its version, once per version; the dashboard's snapshot carries it
 * and MALLEX_HOME/claude-code-drift.json keeps it for `mallex doctor`.
 */
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseClaudeCodeDrift } from "../src/observe/save-claude-code-drift.js";
import { CHECKED_CLAUDE_CODE } from "../src/trim/claude-code/claude-code-versions.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { packageRoot } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

const CHECKED_RANGE = `${CHECKED_CLAUDE_CODE.oldest}–${CHECKED_CLAUDE_CODE.newest}`;

const VERSION = "2.1.999";
const request = {
  model: "claude-opus-4-8",
  max_tokens: 1000,
  stream: false,
  system: [
    { type: "text", text: `x-anthropic-billing-header: cc_version=${VERSION}.abc; cc_entrypoint=cli;` },
    { type: "text", text: "You are Claude Code, Anthropic's official CLI for Claude." },
  ],
  tools: [
    { name: "Read", description: "Reads a file.", input_schema: { type: "object", properties: { file_path: { type: "string" } }, required: ["file_path"] } },
    { name: "BrandNewTool", description: "Something a newer Claude Code brought.", input_schema: { type: "object", properties: {} } },
  ],
  messages: [
    {
      role: "user",
      content: [
        {
          type: "text",
          text: "<system-reminder>\nA reminder no release mallex was checked against ever sent: the moon is made of cheese.\n</system-reminder>",
        },
        { type: "text", text: "what is 2+2" },
      ],
    },
  ],
};

let mlx: FakeMlxServer;
let proxy: MallexProxyProcess;
const home = mkdtempSync(join(tmpdir(), "mallex-drift-home-"));

beforeAll(async () => {
  mlx = await createFakeMlxServer();
  proxy = await startProxyProcess(["--config", join(packageRoot, "mallex.yaml"), "--backend-url", mlx.url], home);
}, 30_000);
afterAll(async () => {
  await proxy?.stop();
  await mlx?.close();
});

const driftLines = () =>
  proxy
    .output()
    .split("\n")
    .filter((line) => line.includes("is newer than the releases mallex's trimming was checked against"));

async function send(): Promise<void> {
  mlx.script({ text: "Four." });
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": `claude-cli/${VERSION} (external, sdk-cli)` },
    body: JSON.stringify(request),
  });
  expect(response.status).toBe(200);
  await response.json();
}

async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${proxy.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("the Claude Code drift alarm", () => {
  it("logs one line naming the version, once; the dashboard and MALLEX_HOME keep it", async () => {
    await send();
    await until(() => driftLines().length > 0, "the drift line");
    const [line] = driftLines();
    expect(line).toContain(`Claude Code ${VERSION} is newer than the releases mallex's trimming was checked against (${CHECKED_RANGE}) and`);
    expect(line).toContain("a reminder no filter or keep rule knows");
    expect(line).toContain("tools.BrandNewTool: a built-in tool mallex does not know yet");
    expect(line).toContain("run `npm run check:claude-code` or update mallex");

    // The same version again: no second line.
    await send();
    await until(() => (proxy.output().match(/^claude-opus-4-8 → /gm) ?? []).length >= 2, "the second request's log line");
    expect(driftLines()).toHaveLength(1);

    const snapshot = (await (await fetch(`${proxy.url}/ui/api/snapshot`)).json()) as { claudeCodeDrift?: { version: string; unplaced: string[] } };
    expect(snapshot.claudeCodeDrift?.version).toBe(VERSION);
    expect(snapshot.claudeCodeDrift?.unplaced.some((item) => item.startsWith("tools.BrandNewTool"))).toBe(true);

    const file = join(home, "claude-code-drift.json");
    await until(() => existsSync(file), "claude-code-drift.json");
    expect(parseClaudeCodeDrift(readFileSync(file, "utf8"))).toMatchObject({ version: VERSION, checked: { ...CHECKED_CLAUDE_CODE } });
  });
});
