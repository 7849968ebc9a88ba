import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX, PINNED_CLAUDE_CODE } from "./helpers/claude-code-versions.js";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { MALLEX_BIN, runCli } from "./helpers/run-cli.js";
import { compactAt, compactWindowFor } from "../src/cli/claude-code/claude-context-env.js";

/**
 * `mallex run -- <claude args>` as a user runs it: mallex serves, (optionally) starts the model
 * server, launches the real Claude Code CLI with its terminal, and exits with Claude Code's code.
 */
const FAKE_CLI = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));

const processesMatching = async (pattern: string) => (await execa("pgrep", ["-f", pattern], { reject: false })).stdout.split("\n").filter(Boolean);

describe("mallex run --backend-url", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({ respond: () => ({ text: "2 + 2 = 4" }) });
  });
  afterAll(() => mlx.close());

  it("launches Claude Code against mallex and exits with its exit code", async () => {
    const project = makeProject();
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const ok = await runMallex(["--backend-url", mlx.url, "--", "-p", "what is 2+2", "--output-format", "json"], project, home);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ is_error: false, result: "2 + 2 = 4" });
    // Claude Code presented the session token, not a key of the user's.
    expect(mlx.requests.filter((r) => r.method === "POST").length).toBeGreaterThan(0);

    // Claude Code owned the terminal: the request log went to MALLEX_HOME only.
    expect(ok.stderr).not.toContain("→ qwen3-coder-30b");
    expect(readFileSync(join(home, "mallex.log"), "utf8")).toMatch(/Z mallex\/qwen3-coder-30b → qwen3-coder-30b \(default → medium\) · /);

    const failed = await runMallex(["--backend-url", mlx.url, "--", "--no-such-flag"], project, home);
    expect(failed.exitCode).toBe(1);
    expect(failed.stderr).toContain("unknown option '--no-such-flag'");
    // No request, no session to go on with: no resume line.
    expect(failed.stderr).not.toContain("--resume");
  });

  it("says last how to go on with the conversation through mallex, and that command resumes it there", async () => {
    const project = makeProject();
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // One HOME for both runs: Claude Code keeps its sessions under ~/.claude.
    const claudeHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
    const first = await runMallex(["--backend-url", mlx.url, "--", "-p", "what is 2+2", "--output-format", "json"], project, home, 90_000, {
      HOME: claudeHome,
    });
    expect(first.exitCode, first.stderr).toBe(0);
    const session = (JSON.parse(first.stdout) as { session_id: string }).session_id;
    const last = first.stderr.trimEnd().split("\n").at(-1)!;
    // mallex is not on PATH here, and the project is no clone of it: the bin by its path, which runs from anywhere.
    expect(last).toBe(`mallex: to go on with this conversation through mallex: node ${MALLEX_BIN} run --backend-url ${mlx.url} -- --resume ${session}`);

    // The printed command, as printed (its mallex options, then Claude Code's --resume), and a new turn.
    const printed = last.slice(last.indexOf(" run ") + " run ".length).split(" ");
    const before = mlx.requests.length;
    const resumed = await runMallex([...printed, "-p", "and once more", "--output-format", "json"], project, home, 90_000, { HOME: claudeHome });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect((JSON.parse(resumed.stdout) as { session_id: string }).session_id).toBe(session);
    // The model saw the first turn: the conversation went on through mallex, not from scratch.
    const sent = JSON.stringify(
      mlx.requests
        .slice(before)
        .filter((r) => r.method === "POST")
        .map((r) => r.body),
    );
    expect(sent).toContain("what is 2+2");
    expect(sent).toContain("and once more");
    expect(resumed.stderr.trimEnd().split("\n").at(-1)).toBe(last);

    // A session Claude Code keeps no transcript of cannot be resumed: nothing is offered.
    const unsaved = await runMallex(["--backend-url", mlx.url, "--", "-p", "hi", "--no-session-persistence"], project, home, 90_000, {
      HOME: mkdtempSync(join(tmpdir(), "mallex-home-")),
    });
    expect(unsaved.exitCode, unsaved.stderr).toBe(0);
    expect(unsaved.stderr).not.toContain("--resume");
  });
});

describe("mallex run: the local context window told to Claude Code", () => {
  let mlx: FakeMlxServer;
  beforeAll(async () => {
    mlx = await createFakeMlxServer({ respond: () => ({ text: "ok" }) });
  });
  afterAll(() => mlx.close());
  const BIN = PINNED_CLAUDE_CODE.binDir;

  it("launches the `claude` first on PATH with the window that makes it compact near the default profile's prompt limit", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-fake-claude-"));
    const recorded = join(dir, "env.txt");
    writeFileSync(join(dir, "claude"), `#!/bin/sh\nenv > ${JSON.stringify(recorded)}\n`, { mode: 0o755 });
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // DISABLE_AUTOUPDATER empty, as if unset (the offline environment sets it): mallex sets it.
    const result = await runMallex(["--backend-url", mlx.url, "--", "-p", "hi"], makeProject(), home, 90_000, {
      PATH: `${dir}:${BIN}:/usr/bin:/bin`,
      DISABLE_AUTOUPDATER: "",
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const env = Object.fromEntries(
      readFileSync(recorded, "utf8")
        .trim()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    // The default tier (medium) runs qwen3-coder-30b: context_window 262144, input_budget 32000.
    const window = String(compactWindowFor(32000, {}));
    expect(env.CLAUDE_CODE_AUTO_COMPACT_WINDOW).toBe(window);
    expect(env.CLAUDE_CODE_MAX_CONTEXT_TOKENS).toBe(window);
    expect(env.ANTHROPIC_MODEL).toBe("mallex/qwen3-coder-30b");
    expect(result.stderr).toContain(
      `mallex: Claude Code will summarize the conversation (compact) once it nears ${compactAt(32000).toLocaleString("en-US")} tokens, since qwen3-coder-30b takes prompts of 32,000 tokens at most (its context holds 262,144): mallex sets CLAUDE_CODE_AUTO_COMPACT_WINDOW=${window} as model mallex/qwen3-coder-30b`,
    );
    // The shipped local tiers are not offered ToolSearch: Claude Code must send its tools up front.
    expect(env.ENABLE_TOOL_SEARCH).toBe("false");
    expect(result.stderr).toContain(
      "mallex: Claude Code started with ENABLE_TOOL_SEARCH=false (every tool sent up front): tiers low (qwen3-coder-30b), medium (qwen3-coder-30b) are not offered ToolSearch",
    );
    // Its stream watchdog, which counts no pings, waits past any local prefill.
    expect(env.CLAUDE_STREAM_IDLE_TIMEOUT_MS).toBe("3600000");
    // No auto-update, which offline only fails (the pinned bundle reads DISABLE_AUTOUPDATER: "set by env: DISABLE_AUTOUPDATER").
    expect(env.DISABLE_AUTOUPDATER).toBe("1");

    const kept = await runMallex(["--backend-url", mlx.url, "--", "-p", "hi"], makeProject(), home, 90_000, {
      PATH: `${dir}:${BIN}:/usr/bin:/bin`,
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: "150000",
      ENABLE_TOOL_SEARCH: "auto",
    });
    expect(kept.exitCode, kept.stderr).toBe(0);
    expect(readFileSync(recorded, "utf8")).toContain("CLAUDE_CODE_AUTO_COMPACT_WINDOW=150000\n");
    expect(kept.stderr).toContain(
      `mallex: CLAUDE_CODE_AUTO_COMPACT_WINDOW=150000 from your environment kept (mallex would set ${window} for qwen3-coder-30b's 32000-token prompt limit)`,
    );
    expect(readFileSync(recorded, "utf8")).toContain("ENABLE_TOOL_SEARCH=auto\n");
    expect(kept.stderr).toContain(
      "mallex: ENABLE_TOOL_SEARCH=auto from your environment kept, though tiers low (qwen3-coder-30b), medium (qwen3-coder-30b) are not offered ToolSearch",
    );
  });

  it("the real Claude Code CLI shows the local model and uses its window, and mallex still routes its requests by tier", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const context = await runMallex(["--backend-url", mlx.url, "--", "-p", "/context", "--output-format", "json"], makeProject(), home);
    expect(context.exitCode, context.stderr).toBe(0);
    // Without mallex's variables Claude Code shows "claude-opus-4-8[1m] … / 1m".
    const window = compactWindowFor(32000, {});
    expect(JSON.parse(context.stdout).result).toMatch(
      new RegExp(`\\*\\*Model:\\*\\* mallex/qwen3-coder-30b\\s+\\*\\*Tokens:\\*\\* [\\d.]+k / ${(window / 1000).toFixed(1)}k `),
    );

    const turn = await runMallex(["--backend-url", mlx.url, "--", "-p", "what is 2+2", "--output-format", "json"], makeProject(), home);
    expect(turn.exitCode, turn.stderr).toBe(0);
    expect(JSON.parse(turn.stdout).modelUsage).toMatchObject({ "mallex/qwen3-coder-30b": { contextWindow: window } });
    // The name is only for Claude Code: the request went through the tiers, not pinned to a profile.
    expect(readFileSync(join(home, "mallex.log"), "utf8")).toMatch(/mallex\/qwen3-coder-30b → qwen3-coder-30b \((default → medium|intent \w+ → \w+)\)/);
  });
});

describe.each(CLAUDE_CODE_MATRIX)("mallex run --server-command, Claude Code %s", (_name, claudeCode) => {
  it("starts the fake mlx-lm.server, completes a Write round trip through Claude Code, and leaves no process behind", async () => {
    const project = makeProject();
    const target = join(project, "from-run.txt");
    const scripts = mkdtempSync(join(tmpdir(), "mallex-respond-"));
    const respond = join(scripts, "respond.mjs");
    writeFileSync(
      respond,
      `export default (request) => {
  if (request.body.max_tokens === 1) return { text: "ok" }; // mallex's readiness probe
  const results = request.body.messages.filter((m) => m.role === "tool").length;
  return results === 0 ? { toolCalls: [{ name: "Write", arguments: { file_path: ${JSON.stringify(target)}, content: "written by the model\\n" } }] } : { text: "Done." };
};
`,
    );
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const command = `node ${FAKE_CLI} --port {port} --model {model} --load-ms 300 --respond ${respond}`;
    const result = await runMallex(
      ["--server-command", command, "--", "-p", "write from-run.txt", "--output-format", "json", "--allowedTools", "Write"],
      project,
      home,
      90_000,
      {},
      claudeCode,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "Done." });
    expect(readFileSync(target, "utf8")).toBe("written by the model\n");
    expect(result.stderr).toMatch(/model server .*: ready at http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(await processesMatching(respond)).toEqual([]);
  });
});

describe("mallex run with on_exit: keep", () => {
  it("keeps the model server when Claude Code exits, the next `mallex run` reuses it (same pid, one process), and `mallex server stop` leaves nothing", async () => {
    const project = makeProject();
    const dir = mkdtempSync(join(tmpdir(), "mallex-keep-"));
    const respond = join(dir, "respond.mjs");
    writeFileSync(respond, `export default (request) => ({ text: request.body.max_tokens === 1 ? "ok" : "kept and reused" });\n`);
    const config = join(dir, "mallex.yaml");
    writeFileSync(
      config,
      [
        "include: [mallex]",
        "backends:",
        "  mlx:",
        "    supervise:",
        `      command: ${JSON.stringify(`node ${FAKE_CLI} --port {port} --model {model} --respond ${respond}`)}`,
        "      venv: false",
        "      on_exit: keep",
        "",
      ].join("\n"),
    );
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const env = { MALLEX_HOME: home };
    const ask = ["--config", config, "--", "-p", "what is 2+2", "--output-format", "json"];
    try {
      const first = await runMallex(ask, project, home);
      expect(first.exitCode, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ is_error: false, result: "kept and reused" });
      const kept = /mallex: kept the model server (\S+) running \(pid (\d+)\) for the next session; stop it with `mallex server stop`/.exec(first.stderr);
      expect(kept, first.stderr).not.toBeNull();
      const [, key, pid] = kept!;
      expect(await processesMatching(respond)).toEqual([pid]);
      const status = await runCli(["server", "status"], { env });
      expect(status.stdout).toMatch(new RegExp(`^${key}  pid ${pid}  port \\d+  .*  alive  \\(kept: `));

      const second = await runMallex(ask, project, home);
      expect(second.exitCode, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ is_error: false, result: "kept and reused" });
      expect(second.stderr).toContain(`reusing the server kept running by an earlier session (pid ${pid})`);
      expect(second.stderr).not.toMatch(/starting on port/);
      expect(second.stderr).toContain(`kept the model server ${key} running (pid ${pid})`);
      expect((await runCli(["server", "status"], { env })).stdout).toMatch(new RegExp(`^${key}  pid ${pid}  `));
      expect(await processesMatching(respond)).toEqual([pid]);

      const stop = await runCli(["server", "stop"], { env });
      expect(stop.stdout).toBe(`stopped ${key} (pid ${pid})`);
      expect(await processesMatching(respond)).toEqual([]);
      // The sink that carried the kept server's output into server.log ends with it.
      for (const deadline = Date.now() + 5000; (await processesMatching(home)).length > 0 && Date.now() < deadline;)
        await new Promise((r) => setTimeout(r, 50));
      expect(await processesMatching(home)).toEqual([]);
      expect((await runCli(["server", "status"], { env })).stdout).toBe(`No supervised model server is running (MALLEX_HOME=${home}).`);
    } finally {
      await runCli(["server", "stop"], { env });
    }
  }, 180_000);
});

describe("mallex proxy --server-command", () => {
  it("starts the command on the first request at http://127.0.0.1:{port}/v1, shows it in `mallex server status`, and stops it on SIGTERM", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const marker = `proxy-served-${Date.now()}`;
    const proxy = await startProxyProcess(["--server-command", `node ${FAKE_CLI} --port {port} --model {model} --load-ms 200 --chat-template ${marker}`], home);
    // The proxy's own command line holds the marker too; only the model server's counts.
    const servers = async () => (await processesMatching(marker)).filter((pid) => pid !== String(proxy.process.pid));
    try {
      expect(await servers()).toEqual([]); // started lazily
      const response = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 20, messages: [{ role: "user", content: "echo me" }] }),
      });
      expect(await response.json()).toMatchObject({ content: [{ type: "text", text: "echo me" }] });
      expect(await servers()).toHaveLength(1);
      const status = await runCli(["server", "status"], { env: { MALLEX_HOME: home } });
      expect(status.stdout).toMatch(/^mlx-community_Qwen3-Coder-30B-A3B-Instruct-4bit .*pid \d+.*port \d+/m);
      expect(proxy.output()).toMatch(/model server mlx-community_Qwen3-Coder-30B-A3B-Instruct-4bit: ready at http:\/\/127\.0\.0\.1:\d+\/v1/);
    } finally {
      await proxy.stop();
    }
    expect(await servers()).toEqual([]);
  });

  it("names the model the command runs (its --model), not the profile's, in the supervisor's messages and the request log", async () => {
    const proxy = await startProxyProcess(["--server-command", `node ${FAKE_CLI} --model my-org/Tiny-Coder --port {port}`]);
    try {
      const response = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 20, messages: [{ role: "user", content: "echo me" }] }),
      });
      expect(await response.json()).toMatchObject({ content: [{ type: "text", text: "echo me" }] });
      const output = proxy.output();
      // Named after that model, not the shipped config's backend (mlx--…), which is not what runs.
      expect(output).toMatch(/^mallex: model server my-org_Tiny-Coder: starting on port \d+ \(node .* --model my-org\/Tiny-Coder --port \d+\)$/m);
      expect(output).toContain("mallex: model server my-org_Tiny-Coder: listening on port ");
      expect(output).not.toContain("mlx--");
      expect(output).toContain("; loading my-org/Tiny-Coder (the first request waits for it)");
      expect(output).toMatch(/^claude-opus-4-8 → qwen3-coder-30b on my-org\/Tiny-Coder \(default → medium\) · /m);
      // The default profile's model is what the command replaced; nothing may claim it runs.
      expect(output).not.toContain("Qwen3-Coder-30B-A3B-Instruct-4bit");
    } finally {
      await proxy.stop();
    }
  });

  it("refuses a command without {port} (mallex could not tell the server where to listen)", async () => {
    const result = await runCli(["proxy", "--server-command", `node ${FAKE_CLI} --model my-org/Tiny-Coder`]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `--server-command has no {port}: put {port} where the server takes its port (e.g. "node ${FAKE_CLI} --model my-org/Tiny-Coder --port {port}"); mallex fills in a free one.`,
    );
  });
});
