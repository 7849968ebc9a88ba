import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude, runClaudeAsPrinted } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX, captureFirstRequest } from "./helpers/claude-code-versions.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { closedBackendUrl } from "./helpers/test-proxy.js";

/**
 * The real Claude Code CLI (the pinned devDependency; in the suites named by version, the newest too),
 * run with -p against `mallex proxy` (a real process) → the fake mlx-lm.server. The fake answers by
 * looking at the conversation, like a model.
 */
type Message = { role: string; content: unknown };
const lastMessage = (request: FakeRequestRecord) => ((request.body as { messages: Message[] }).messages.at(-1) ?? { role: "", content: "" }) as Message;
const text = (message: Message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content));

/** The proxy's request log lines, one per request. */
const logLines = (proxy: MallexProxyProcess) =>
  proxy
    .output()
    .split("\n")
    .filter((line) => / → \S+ .*\(.*\) · \d+ → \d+ chars/.test(line));
const lastLogLine = (proxy: MallexProxyProcess) => logLines(proxy).at(-1) ?? "";
const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/** Where two prompts part: the offset and ~80 characters of each from there. */
function divergence(previous: string, next: string): string {
  let at = 0;
  while (at < previous.length && previous[at] === next[at]) at++;
  return `at ${at} of ${previous.length}: ${JSON.stringify(previous.slice(at, at + 80))} became ${JSON.stringify(next.slice(at, at + 80))}`;
}

let mlx: FakeMlxServer;
let proxy: MallexProxyProcess;
let respond: (request: FakeRequestRecord) => FakeScript | undefined = () => undefined;

beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: (request) => respond(request) });
  proxy = await startProxyProcess(["--backend-url", mlx.url]);
});
afterAll(async () => {
  await proxy?.stop();
  await mlx?.close();
});

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s through mallex proxy", (_name, claudeCode) => {
  it("answers 'what is 2+2' with the backend's text", async () => {
    respond = (request) => (text(lastMessage(request)).includes("what is 2+2") ? { text: "2 + 2 = 4" } : undefined);
    const result = await runClaude(proxy.url, makeProject(), ["-p", "what is 2+2", "--output-format", "json"], claudeCode);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ type: "result", is_error: false, result: "2 + 2 = 4", stop_reason: "end_turn" });
    const sent = mlx.requests.filter((r) => r.method === "POST").at(-1)!.body as Record<string, unknown>;
    expect(sent.model).toBeUndefined();
    expect(mlx.modelLoadAttempts).toEqual([]);
    // This version ran: the log names the model its own requests name (2.1.197 claude-opus-4-8, 2.1.330 claude-opus-5-5).
    const { body } = await captureFirstRequest(claudeCode);
    expect(lastLogLine(proxy)).toMatch(
      new RegExp(`^${escapeRegExp(body.model)} → qwen3-coder-30b \\(default → medium\\) · \\d+ → \\d+ chars \\(−\\d+%\\) · rules: billing-header −74 · `),
    );
    // The medium profile's rules cut Claude Code's request to a tenth or less, on every version, and
    // the line says how much of the user's own text (the project's CLAUDE.md) went on whole.
    expect(lastLogLine(proxy)).toMatch(
      / → qwen3-coder-30b \(default → medium\) · \d+ → \d+ chars \(−9\d%\) · rules: billing-header −74 · .*tool-allowlist ×\d+ −[\d,]+ · .*system-template −[\d,]+ · the user's text kept whole: \d+ chars \(CLAUDE.md \d+ in the system prompt\) · prompt \d+ tok/,
    );
  });

  it("completes a Write round trip for a native tool call", async () => {
    const project = makeProject();
    const target = join(project, "hello.txt");
    respond = (request) =>
      lastMessage(request).role === "tool"
        ? { text: "Wrote hello.txt." }
        : { toolCalls: [{ name: "Write", arguments: { file_path: target, content: "hello from mallex\n" } }] };
    const result = await runClaude(proxy.url, project, ["-p", "write hello.txt", "--output-format", "json", "--allowedTools", "Write"], claudeCode);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "Wrote hello.txt.", num_turns: 2 });
    expect(readFileSync(target, "utf8")).toBe("hello from mallex\n");
  });
});

describe("Claude Code through mallex proxy", () => {
  it("completes a Write round trip for a Qwen3-Coder XML tool call written as text", async () => {
    const project = makeProject();
    const target = join(project, "notes.md");
    respond = (request) =>
      lastMessage(request).role === "tool"
        ? { text: "Done." }
        : {
            text: "I'll write the file.\n",
            rawText: `<tool_call>\n<function=Write>\n<parameter=file_path>\n${target}\n</parameter>\n<parameter=content>\n# Notes\n\n- <b>xml</b> & more\n</parameter>\n</function>\n</tool_call>`,
          };
    const result = await runClaude(proxy.url, project, ["-p", "write notes.md", "--output-format", "json", "--permission-mode", "acceptEdits"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "Done." });
    expect(readFileSync(target, "utf8")).toBe("# Notes\n\n- <b>xml</b> & more");
  });
});

describe("Claude Code through mallex, several tools in one task", () => {
  it("reads a file, edits it and runs a command, each result going back to the model", async () => {
    const project = makeProject();
    const file = join(project, "greeting.txt");
    writeFileSync(file, "hello world\n");
    const seen: string[] = [];
    respond = (request) => {
      const messages = (request.body as { messages: Message[] }).messages;
      const results = messages.filter((m) => m.role === "tool");
      seen.push(...results.slice(seen.length).map((m) => text(m)));
      switch (results.length) {
        case 0:
          return { toolCalls: [{ name: "Read", arguments: { file_path: file } }] };
        case 1:
          return { toolCalls: [{ name: "Edit", arguments: { file_path: file, old_string: "hello world", new_string: "hello mallex" } }] };
        case 2:
          return { toolCalls: [{ name: "Bash", arguments: { command: `cat ${file}`, description: "Show the file" } }] };
        default:
          return { text: "The file now greets mallex." };
      }
    };
    const result = await runClaude(proxy.url, project, ["-p", "change the greeting", "--output-format", "json", "--allowedTools", "Read,Edit,Bash"]);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "The file now greets mallex.", num_turns: 4 });
    expect(readFileSync(file, "utf8")).toBe("hello mallex\n");
    expect(seen).toHaveLength(3);
    expect(seen[0]).toContain("hello world"); // Read's numbered lines reached the model
    expect(seen[2]).toContain("hello mallex"); // and so did Bash's output
  });
});

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s through mallex on a small profile", (_name, claudeCode) => {
  it("keeps the tool round trip working with the small tier's trimming over a 3-turn session (-p, then --continue twice), every upstream prompt a byte prefix of the next: 0 prefix breaks", async () => {
    const config = join(makeProject(), "mallex.yaml");
    writeFileSync(config, "include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n  medium: { profile: qwen2.5-coder-7b }\n");
    const small = await startProxyProcess(["--backend-url", mlx.url, "--config", config]);
    try {
      const project = makeProject();
      // 2.1.197 puts `git status` in its system prompt, read again by every process: the files written
      // would change Claude Code's own prompt between turns. Ignored, they leave it as it was.
      writeFileSync(join(project, ".git", "info", "exclude"), "*.txt\n");
      const home = mkdtempSync(join(tmpdir(), "mallex-home-")); // one HOME: --continue finds the session there
      const [first, second, third] = ["a.txt", "b.txt", "c.txt"].map((name) => join(project, name)) as [string, string, string];
      respond = (request) => {
        const messages = (request.body as { messages: Message[] }).messages;
        const asked = text(messages.filter((m) => m.role === "user").at(-1)!);
        const results = messages.filter((m) => m.role === "tool").length;
        if (asked.includes("what did you write")) return { text: "a.txt, b.txt and c.txt." };
        if (results === 0) return { toolCalls: [{ name: "Write", arguments: { file_path: first, content: "one\n" } }] };
        if (results === 1) return { toolCalls: [{ name: "Write", arguments: { file_path: second, content: "two\n" } }] };
        if (results === 2 && !asked.includes("write c.txt")) return { text: "Both written." };
        if (results === 2) return { toolCalls: [{ name: "Write", arguments: { file_path: third, content: "three\n" } }] };
        return { text: "c.txt written." };
      };
      const before = mlx.requests.length;
      const turn = async (args: string[], result: string, turns: number) => {
        const run = await runClaude(small.url, project, [...args, "--output-format", "json", "--allowedTools", "Write"], claudeCode, { HOME: home });
        expect(run.exitCode, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ is_error: false, result, num_turns: turns });
      };
      await turn(["-p", "write a.txt then b.txt"], "Both written.", 3);
      await turn(["--continue", "-p", "now write c.txt"], "c.txt written.", 2);
      await turn(["--continue", "-p", "what did you write?"], "a.txt, b.txt and c.txt.", 1);
      expect([first, second, third].map((file) => readFileSync(file, "utf8"))).toEqual(["one\n", "two\n", "three\n"]);

      const prompts = mlx.requests.slice(before).flatMap((r) => (r.prompt ? [r.prompt] : []));
      expect(prompts).toHaveLength(6);
      const breaks = prompts
        .slice(1)
        .flatMap((prompt, i) =>
          prompt.text.startsWith(prompts[i]!.text) ? [] : [`prompt ${i + 1} does not extend prompt ${i}: ${divergence(prompts[i]!.text, prompt.text)}`],
        );
      expect(breaks).toEqual([]);
      for (let i = 1; i < prompts.length; i++)
        expect(prompts[i]!.cachedTokens, `prompt ${i}'s cached tokens`).toBeGreaterThanOrEqual(prompts[i - 1]!.tokens - 1);
      const lines = logLines(small);
      expect(lines).toHaveLength(6);
      for (const line of lines) expect(line).toMatch(/→ qwen2\.5-coder-7b \((default|intent \S+) → medium\) · \d+ → \d+ chars \(−\d+%\)/);
      expect(prompts[0]!.text.length).toBeLessThan(6_000); // Claude Code sent 50–80 KB
      expect(lines[0]).toMatch(/\(−9\d%\)/);
    } finally {
      await small.stop();
    }
  });
});

describe("Claude Code when the backend is down", () => {
  it("exits non-zero with mallex's sentence about the unreachable server", async () => {
    const down = await startProxyProcess(["--backend-url", await closedBackendUrl()]);
    try {
      const project = makeProject();
      const result = await runClaude(down.url, project, ["-p", "what is 2+2", "--output-format", "json"]);
      expect(result.exitCode).not.toBe(0);
      const output = JSON.parse(result.stdout) as { is_error: boolean; result: string };
      expect(output.is_error).toBe(true);
      expect(output.result).toContain("mallex could not reach the model server");
      expect(output.result).toContain("is not reachable (ECONNREFUSED)");
      expect(existsSync(join(project, "hello.txt"))).toBe(false);
    } finally {
      await down.stop();
    }
  });
});

describe("the `claude:` line mallex proxy prints, run as printed", () => {
  /** The command after `  claude: ` in the proxy's start-up lines. */
  const printedLine = (proxy: MallexProxyProcess) => /^ {2}claude: (.*)$/m.exec(proxy.output())?.[1] ?? "";
  const ask = ["-p", "what is 2+2", "--output-format", "json"];

  it('without server.auth_token: gives Claude Code a key, so it is logged in (a bare ANTHROPIC_BASE_URL says "Not logged in")', async () => {
    const line = printedLine(proxy);
    expect(line).toBe(`ANTHROPIC_BASE_URL=${proxy.url} ANTHROPIC_API_KEY=local claude`);
    respond = () => ({ text: "4" });
    const result = await runClaudeAsPrinted(line, makeProject(), ask);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "4" });
    const bare = await runClaudeAsPrinted(`ANTHROPIC_BASE_URL=${proxy.url} claude`, makeProject(), ask);
    expect(JSON.parse(bare.stdout)).toMatchObject({ is_error: true, result: expect.stringContaining("Not logged in") });
  });

  it("with server.auth_token from the environment: passes that token by reference, and the proxy lets it through", async () => {
    const config = join(makeProject(), "mallex.yaml");
    writeFileSync(config, 'include: [mallex]\nserver: { auth_token: "${MALLEX_TEST_TOKEN}" }\n');
    const guarded = await startProxyProcess(["--backend-url", mlx.url, "--config", config], undefined, { MALLEX_TEST_TOKEN: "s3cret-token" });
    try {
      const line = printedLine(guarded);
      expect(line).toBe(`ANTHROPIC_BASE_URL=${guarded.url} ANTHROPIC_AUTH_TOKEN="\${MALLEX_TEST_TOKEN}" claude`);
      expect(guarded.output()).not.toContain("s3cret-token");
      respond = () => ({ text: "4" });
      // The user's shell has the variable the config reads, as the proxy's had.
      const result = await runClaudeAsPrinted(line, makeProject(), ask, { MALLEX_TEST_TOKEN: "s3cret-token" });
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: "4" });
      // Any other key is refused: the line works because it carries the token.
      const wrong = await runClaudeAsPrinted(`ANTHROPIC_BASE_URL=${guarded.url} ANTHROPIC_API_KEY=local claude`, makeProject(), ask);
      expect(JSON.parse(wrong.stdout)).toMatchObject({ is_error: true, api_error_status: 401 });
    } finally {
      await guarded.stop();
    }
  });
});
