import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX } from "./helpers/claude-code-versions.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

/**
 * The real Claude Code CLI, both versions, with Bash and Write allowed, against `mallex proxy
 * --backend-url` (the default config: profile qwen3-coder-30b, native tools, tools.format auto, so
 * every family's markers are watched) → the fake mlx-lm.server, whose model answers a question about
 * the tool-call format by quoting one: inline in backticks, or as a fenced example followed by prose
 * or introduced as one with nothing after it.
 * That is an explanation, not a call: no tool may run, and what Claude Code prints is the answer,
 * example included, as the model wrote it. Each quoted call would create a file in the project if it
 * ran, so a false positive shows as that file, as a second turn, and as a different printed result.
 */
type Message = { role: string; content: unknown };
const lastMessage = (request: FakeRequestRecord) => ((request.body as { messages: Message[] }).messages.at(-1) ?? { role: "", content: "" }) as Message;

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

/** A call to Bash or Write that would leave `marker` behind, in each family's own markup. */
const calls = {
  "Qwen3-Coder": (marker: string) => `<tool_call>\n<function=Bash>\n<parameter=command>\ntouch ${marker}\n</parameter>\n</function>\n</tool_call>`,
  Hermes: (marker: string) => `<tool_call>\n{"name": "Write", "arguments": {"file_path": "${marker}", "content": "ran"}}\n</tool_call>`,
} as const;
/** The call on one line, as it is quoted inline. */
const inline = (call: string) => call.replace(/\n/g, "");

const answers = {
  "inline backticks": (call: string) => `In this format a call is written like \`${inline(call)}\` — nothing needs to be run.`,
  "a fenced example followed by prose": (call: string) =>
    `Here is what such output looks like:\n\n\`\`\`\n${call}\n\`\`\`\n\nThat block is just an example; nothing was run.`,
  // Nothing after the fence: only the words that introduce it say it is an example.
  "a fenced example that ends the answer": (call: string) => `Here is an example of what such a tool call looks like:\n\n\`\`\`\n${call}\n\`\`\``,
  "both, in one answer": (call: string) =>
    `In this format a call is written like \`${inline(call)}\` — nothing needs to be run.\n\nHere is what such output looks like:\n\n\`\`\`\n${call}\n\`\`\`\n\nThat block is just an example.`,
} as const;

const cases = Object.entries(calls).flatMap(([family, call]) => Object.entries(answers).map(([kind, answer]) => [family, kind, call, answer] as const));

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s: a tool call the model only explains is not run", (_name, claudeCode) => {
  it.each(cases)("%s in %s: printed as written, nothing executed", async (_family, _kind, call, answer) => {
    const project = makeProject();
    const marker = join(project, "tool-was-run.txt");
    const example = call(marker);
    const text = answer(example);
    const seen = mlx.requests.length;
    respond = (request) => (lastMessage(request).role === "tool" ? { text: "The tool ran." } : { text });
    const result = await runClaude(
      proxy.url,
      project,
      ["-p", "How does the tool-call format look? Show an example.", "--output-format", "json", "--allowedTools", "Bash,Write"],
      claudeCode,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const printed = JSON.parse(result.stdout) as { is_error: boolean; result: string; num_turns: number; stop_reason?: string };
    expect(existsSync(marker)).toBe(false);
    expect(printed).toMatchObject({ is_error: false, num_turns: 1 });
    // The example itself, verbatim, in what Claude Code prints: no note, no fence or backtick lost.
    expect(printed.result).toContain(answer === answers["inline backticks"] ? `\`${inline(example)}\`` : `\`\`\`\n${example}\n\`\`\``);
    expect(printed.result).toBe(text);
    // No tool result ever went back to the model.
    const generations = mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions");
    expect(generations.map((r) => lastMessage(r).role)).not.toContain("tool");
  });

  // The control: the same markup where the format puts a call (the whole answer) is run, so the file above would have shown a false positive.
  it.each(Object.entries(calls))("%s as the answer itself: run, as a real call", async (_family, call) => {
    const project = makeProject();
    const marker = join(project, "tool-was-run.txt");
    respond = (request) => (lastMessage(request).role === "tool" ? { text: "The tool ran." } : { text: call(marker) });
    const result = await runClaude(
      proxy.url,
      project,
      ["-p", "Create the marker file.", "--output-format", "json", "--allowedTools", "Bash,Write"],
      claudeCode,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, num_turns: 2, result: "The tool ran." });
    expect(existsSync(marker)).toBe(true);
  });

  // What the real Qwen2.5-Coder-1.5B answered to "Create a file named hello.txt…": bare JSON in a fence.
  it("Qwen2.5-Coder's fenced JSON call as the answer itself: run, as a real call", async () => {
    const project = makeProject();
    const marker = join(project, "tool-was-run.txt");
    const answer = `\`\`\`json\n${JSON.stringify({ name: "Write", arguments: { file_path: marker, content: "ran" } }, null, 2)}\n\`\`\``;
    respond = (request) => (lastMessage(request).role === "tool" ? { text: "The tool ran." } : { text: answer });
    const result = await runClaude(
      proxy.url,
      project,
      ["-p", "Create the marker file.", "--output-format", "json", "--allowedTools", "Bash,Write"],
      claudeCode,
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, num_turns: 2, result: "The tool ran." });
    expect(existsSync(marker)).toBe(true);
  });
});
