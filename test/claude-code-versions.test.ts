/**
 * The Claude Code versions the tests run (test/helpers/claude-code-versions.ts), the capture of a
 * version's first request (scripts/claude-code/capture-request.js) and `npm run check:claude-code`
 * (scripts/check-claude-code.js), which measures the shipped trimming on each version's capture.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { captureFirstRequestCached, startFakeAnthropicApi } from "../scripts/claude-code/capture-request.js";
import { driftOf, figuresOf } from "../scripts/claude-code/measure-trimming.js";
import {
  CLAUDE_CODE_MATRIX,
  CLAUDE_CODE_VERSIONS,
  captureFirstRequest,
  NEWEST_CLAUDE_CODE,
  OLDER_CLAUDE_CODE,
  PINNED_CLAUDE_CODE,
} from "./helpers/claude-code-versions.js";
import { parseSSE } from "./fakes/read-sse.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const devDependencies = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;

describe("the Claude Code versions under test", () => {
  it("are the pinned devDependency then the newest, each an exact version (no ^ or ~), read from the installed packages", () => {
    expect(devDependencies["@anthropic-ai/claude-code"]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(devDependencies["claude-code-newest"]).toMatch(/^npm:@anthropic-ai\/claude-code@\d+\.\d+\.\d+$/);
    expect(CLAUDE_CODE_VERSIONS.map((v) => [v.label, v.version])).toEqual([
      ["pinned", devDependencies["@anthropic-ai/claude-code"]],
      ["newest", devDependencies["claude-code-newest"]!.split("@").at(-1)],
    ]);
    expect(PINNED_CLAUDE_CODE.version).not.toBe(NEWEST_CLAUDE_CODE.version);
    expect(CLAUDE_CODE_MATRIX.map(([name]) => name)).toEqual([`${PINNED_CLAUDE_CODE.version} (pinned)`, `${NEWEST_CLAUDE_CODE.version} (newest)`]);
  });

  it.each(CLAUDE_CODE_MATRIX)("%s: its binary, and `claude` in its binDir (the folder's only entry), report its package's version", async (_name, v) => {
    expect(readdirSync(v.binDir)).toEqual(["claude"]);
    expect(readlinkSync(join(v.binDir, "claude"))).toBe(v.bin);
    for (const command of [v.bin, join(v.binDir, "claude")]) {
      const result = await execa(command, ["--version"], {
        stdin: "ignore",
        extendEnv: false,
        env: { HOME: mkdtempSync(join(tmpdir(), "mallex-home-")), PATH: "/usr/bin:/bin" },
      });
      expect(result.stdout.trim()).toBe(`${v.version} (Claude Code)`);
    }
  });
});

describe("captureFirstRequest", () => {
  it.each(CLAUDE_CODE_MATRIX)('%s: the first POST /v1/messages of `claude -p "what is 2+2"`, sent by that version', async (_name, v) => {
    const { body, headers, url } = await captureFirstRequest(v);
    expect(new URL(url, "http://x").pathname).toBe("/v1/messages");
    expect(headers["user-agent"]).toMatch(new RegExp(`^claude-cli/${v.version.replaceAll(".", "\\.")} `));
    expect(headers["x-api-key"]).toBe("sk-test");
    expect(body.stream).toBe(true);
    expect(JSON.stringify(body.system)).toContain(`cc_version=${v.version}.`);
    expect(JSON.stringify(body.messages)).toContain("what is 2+2");
    expect(JSON.stringify(body.messages)).toContain("Keep answers short."); // the project's CLAUDE.md
  });

  it("captures once per (version, options): a second call reads the cache, other options capture again", async () => {
    const cacheDir = mkdtempSync(join(tmpdir(), "mallex-captures-"));
    const options = { bin: PINNED_CLAUDE_CODE.bin, version: PINNED_CLAUDE_CODE.version, cacheDir };
    const first = await captureFirstRequestCached(options);
    const [file] = readdirSync(cacheDir);
    const written = statSync(join(cacheDir, file!)).mtimeMs;
    const again = await captureFirstRequestCached(options);
    expect(again).toEqual(first);
    expect(statSync(join(cacheDir, file!)).mtimeMs).toBe(written);
    const other = await captureFirstRequestCached({ ...options, prompt: "say hi", env: { CLAUDE_CODE_ATTRIBUTION_HEADER: "0" } });
    expect(readdirSync(cacheDir)).toHaveLength(2);
    expect(JSON.stringify(other.body.messages)).toContain("say hi");
    expect(JSON.stringify(other.body.system)).not.toContain("x-anthropic-billing-header");
  });
});

describe("the fake Anthropic API the captures are made against", () => {
  it("answers a streamed request with a whole SSE message and an unstreamed one with JSON, recording both", async () => {
    const api = await startFakeAnthropicApi();
    try {
      const post = (body: object) =>
        fetch(`${api.url}/v1/messages?beta=true`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-api-key": "k" },
          body: JSON.stringify(body),
        });
      const streamed = await post({ model: "m", max_tokens: 5, stream: true, messages: [{ role: "user", content: "hi" }] });
      expect(streamed.headers.get("content-type")).toBe("text/event-stream");
      const events = parseSSE(await streamed.text());
      expect(events.map((e) => e.event)).toEqual([
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
      ]);
      expect(events.map((e) => (JSON.parse(e.data) as { type: string }).type)).toEqual(events.map((e) => e.event));
      expect(JSON.parse(events[2]!.data)).toMatchObject({ type: "content_block_delta", delta: { type: "text_delta", text: "4" } });
      const whole = await post({ model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] });
      expect(await whole.json()).toMatchObject({ type: "message", model: "m", content: [{ type: "text", text: "4" }], stop_reason: "end_turn" });
      expect(api.requests.map((r) => [r.url, r.headers["x-api-key"], (r.body as { stream?: boolean }).stream])).toEqual([
        ["/v1/messages?beta=true", "k", true],
        ["/v1/messages?beta=true", "k", undefined],
      ]);
    } finally {
      await api.close();
    }
  });
});

describe("check:claude-code's figures", () => {
  const explanation = {
    before: { chars: 1000 },
    after: { chars: 50 },
    rules: [{ rule: "billing-header", target: "system.0", charsRemoved: 74 }],
    system: { mode: "template" as const },
  };

  it("reads the cut and the template from an explanation, and lists claudeCode.unplaced (or, for another client, unknown reminders) and a passed-through system prompt as unplaced", () => {
    expect(figuresOf(explanation)).toEqual({ chars: 50, cut: 0.95, template: true, unplaced: [] });
    const unknown = { rule: "unknown-reminder", target: "messages.0.content.1 (reminder 1)", charsRemoved: 37 };
    const drifted = figuresOf({
      ...explanation,
      after: { chars: 400 },
      rules: [unknown],
      system: { mode: "passthrough", reason: "no keep rule matched" },
      claudeCode: {
        version: "9.9.9",
        unplaced: ["messages.0.content.1 (reminder 1): a reminder no filter or keep rule knows, passed on unwrapped", "messages.1 (system): # Environment"],
      },
    });
    // The unknown reminder once: trimming's report already names it for a Claude Code request.
    expect(drifted).toEqual({
      chars: 400,
      cut: 0.6,
      template: false,
      unplaced: [
        "messages.0.content.1 (reminder 1): a reminder no filter or keep rule knows, passed on unwrapped",
        "messages.1 (system): # Environment",
        "system prompt passed through: no keep rule matched",
      ],
    });
    expect(figuresOf({ ...explanation, rules: [unknown] }).unplaced).toEqual(["unknown-reminder at messages.0.content.1 (reminder 1) (37 chars removed)"]);
  });

  it("counts as drift a cut below 94% (small) or 90% (medium), and anything unplaced", () => {
    const figures = (cut: number, unplaced: string[] = []) => ({ chars: 1, cut, template: true, unplaced });
    expect(driftOf({ small: figures(0.94), medium: figures(0.9) })).toEqual([]);
    expect(driftOf({ small: figures(0.939), medium: figures(0.95, ["x"]) })).toEqual(["small: cut 93.9% < 94.0%", "medium: 1 unplaced"]);
    // Claude Code's own text cut is what counts where the figures have it.
    expect(driftOf({ small: { ...figures(0.95), ownCut: 0.939, userChars: 99 }, medium: { ...figures(0.89), ownCut: 0.9, userChars: 99 } })).toEqual([
      "small: own-text cut 93.9% < 94.0%",
    ]);
    expect(figuresOf({ ...explanation, cut: { claudeCode: 0.96, userChars: 99 } })).toMatchObject({ cut: 0.95, ownCut: 0.96, userChars: 99 });
  });

  it("`node scripts/check-claude-code.js --version <newest>` measures the three devDependencies offline (no registry, no install) and exits 0; --fail-on-drift exits 1 exactly when it lists drift", async () => {
    const run = (...args: string[]) =>
      execa("node", ["scripts/check-claude-code.js", "--version", NEWEST_CLAUDE_CODE.version, ...args], { cwd: ROOT, reject: false, stdin: "ignore" });
    const result = await run();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^version +request chars +small chars +small cut +small own-text cut +small template +medium chars +medium cut +medium own-text cut +medium template$/m,
    );
    for (const [v, label] of [
      [OLDER_CLAUDE_CODE, "older"],
      [PINNED_CLAUDE_CODE, "pinned"],
    ] as const) {
      expect(result.stdout).toMatch(
        new RegExp(
          `^${v.version.replaceAll(".", "\\.")} +${label} +[\\d,]+ +[\\d,]+ +\\d+\\.\\d% +\\d+\\.\\d% +(yes|no) +[\\d,]+ +\\d+\\.\\d% +\\d+\\.\\d% +(yes|no)$`,
          "m",
        ),
      );
    }
    expect(result.stdout).toMatch(new RegExp(`^${NEWEST_CLAUDE_CODE.version.replaceAll(".", "\\.")} +newest, asked +[\\d,]+ `, "m"));
    expect(result.stdout).toMatch(/^(Trimming placed everything in every version's first request\.|Trimming could not place:)$/m);
    const strict = await run("--fail-on-drift");
    expect(strict.exitCode, strict.stderr).toBe(result.stdout.includes("\nDrift (goals:") ? 1 : 0);
    expect(strict.stdout).toBe(result.stdout);
  }, 60_000);
});
