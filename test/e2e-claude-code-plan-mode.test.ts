import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude } from "./helpers/claude-code.js";
import { NEWEST_CLAUDE_CODE, OLDER_CLAUDE_CODE, PINNED_CLAUDE_CODE, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { startProxyProcess } from "./helpers/mallex-process.js";

/**
 * Plan mode on a local model: the real Claude Code CLI in `--permission-mode plan`, through
 * `mallex proxy` on the small tier, to a scripted model. Claude Code's 5 KB of plan-mode instructions
 * (Explore and Plan agents, AskUserQuestion, five phases) reach the model as the few sentences its
 * tools can follow, with the plan file's path; ExitPlanMode, which ends plan mode, is offered while it
 * is on wherever Claude Code sends it (2.1.100 does in -p mode; 2.1.197 and later do not, and then the
 * plan ends with the turn). The model writes its plan into the plan file, the one file plan mode lets it.
 */
type Message = { role: string; content: unknown };
const messagesOf = (request: FakeRequestRecord) => (request.body as { messages: Message[] }).messages;
const text = (message: Message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content));
const toolNames = (request: FakeRequestRecord) => ((request.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);

const PLAN = "# Plan: a --verbose flag\n1. Parse --verbose in src/cli.js.\n2. Log each step when it is set.\n3. Test: run the cli with and without it.\n";

let mlx: FakeMlxServer;
let respond: (request: FakeRequestRecord) => FakeScript | undefined = () => undefined;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: (request) => respond(request) });
});
afterAll(async () => {
  await mlx?.close();
});

/** The plan file's path as mallex's reduced instructions name it to the model. */
const planFileNamed = (request: FakeRequestRecord) =>
  /Write the plan \(what to change, where, and how to test it\) to (\/\S+\.md), the only file you may write/.exec(JSON.stringify(messagesOf(request)))?.[1];

async function planWith(claudeCode: ClaudeCodeVersion) {
  const project = makeProject();
  const config = join(project, "mallex.yaml");
  writeFileSync(config, "include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n  medium: { profile: qwen2.5-coder-7b }\n");
  const proxy = await startProxyProcess(["--backend-url", mlx.url, "--config", config]);
  const before = mlx.requests.length;
  // Write the plan file; then call ExitPlanMode where it is offered, else end the turn with the plan.
  respond = (request) => {
    const turn = mlx.requests.slice(before).filter((r) => r.method === "POST").length;
    if (turn === 1) return { toolCalls: [{ name: "Write", arguments: { file_path: planFileNamed(request) ?? "/nowhere.md", content: PLAN } }] };
    if (turn === 2 && toolNames(request).includes("ExitPlanMode")) return { toolCalls: [{ name: "ExitPlanMode", arguments: {} }] };
    return { text: "The plan is in the plan file: parse --verbose, log each step, test both ways." };
  };
  try {
    const result = await runClaude(
      proxy.url,
      project,
      ["-p", "plan how to add a --verbose flag to the cli", "--output-format", "json", "--permission-mode", "plan"],
      claudeCode,
    );
    const upstream = mlx.requests.slice(before).filter((r) => r.method === "POST");
    return { result, upstream, log: proxy.output() };
  } finally {
    await proxy.stop();
  }
}

describe("Claude Code's plan mode through mallex on the small tier", () => {
  for (const [claudeCode, offersExit] of [
    [OLDER_CLAUDE_CODE, true],
    [PINNED_CLAUDE_CODE, false],
    [NEWEST_CLAUDE_CODE, false],
  ] as const) {
    it(`${claudeCode.version} (${claudeCode.label}): the model gets the plan-mode rules its tools can follow and the plan file's path, writes the plan there${offersExit ? ", and ends plan mode with ExitPlanMode" : ""}`, async () => {
      const { result, upstream, log } = await planWith(claudeCode);
      expect(result.exitCode, result.stderr).toBe(0);
      const first = upstream[0]!;
      const opening = JSON.stringify(messagesOf(first));
      const planFile = planFileNamed(first);
      expect(planFile, opening.slice(0, 2000)).toMatch(/\/\.claude\/plans\/[\w-]+\.md$/);
      // None of Claude Code's own plan workflow: no agents, no AskUserQuestion, no phases.
      for (const gone of ["Explore agents", "AskUserQuestion", "### Phase", "Plan Workflow"]) expect(opening).not.toContain(gone);
      expect(toolNames(first).includes("ExitPlanMode")).toBe(offersExit);
      expect(opening.includes("then call ExitPlanMode")).toBe(offersExit);

      // The Write of the plan file went through plan mode's read-only rule; the plan is there.
      expect(text(messagesOf(upstream[1]!).at(-1)!)).not.toMatch(/denied|not allowed|error/i);
      expect(existsSync(planFile!)).toBe(true);
      expect(readFileSync(planFile!, "utf8")).toBe(PLAN);
      if (offersExit) {
        // ExitPlanMode reached Claude Code, and what it answered came back to the model.
        const exit = messagesOf(upstream[2]!)
          .filter((m) => m.role === "tool")
          .at(-1);
        // In -p mode nobody can approve: Claude Code answers the call with its question ("Exit plan mode?").
        expect(text(exit!)).toContain("Exit plan mode?");
        expect(upstream).toHaveLength(3);
      } else {
        expect(upstream).toHaveLength(2);
      }
      expect(log).not.toMatch(/names (ExitPlanMode|AskUserQuestion|Workflow)/);
      expect(readdirSync(join(planFile!, ".."))).toHaveLength(1);
    });
  }
});
