/**
 * The user's own text on every checked release, in the settings issue 49 found it lost or misreported:
 * their agents' and skills' descriptions however long, a system prompt they wrote in place of Claude
 * Code's (`--system-prompt`, a custom subagent's), and interactive sessions, whose own lines, built-in
 * agent and tools a `-p` run never shows. Each request is captured from the real CLI (offline, against
 * a fake API on loopback; interactive ones in tmux) and trimmed exactly as `mallex explain` trims it.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { captureInteractiveRequestCached } from "../scripts/claude-code/capture-interactive.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { explainRequest, type Explanation } from "../src/pipeline/explain-request.js";
import type { Templates } from "../src/templates/load-templates.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { TRIM_MATRIX, captureFirstRequest, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { describeWithTerminal } from "./helpers/terminal.js";
import { firstProfileOfSize, loadShipped } from "./helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

const SIZES = ["small", "medium"] as const;
/** The goals for Claude Code's own text cut. */
const GOALS = { small: 0.95, medium: 0.9 } as const;

const explain = (request: MessagesRequest, userAgent: string | undefined, size: (typeof SIZES)[number]): Explanation =>
  explainRequest(request, { table, profile: firstProfileOfSize(table, size), templates, userAgent });

/** A project's agent and skill whose descriptions are longer than 160 characters, the skill's over two lines. */
const AGENT_BODY = "You write the tests a change needs.\n\nRun them with npm test and report each failure as file:line.";
const LONG_LISTED = {
  ".claude/agents/tester.md": `---\nname: tester\ndescription: Writes the tests a change needs, one file per module it touches, then runs them with npm test and reports each failure with its file and line so that it can be fixed before commit.\ntools: Read, Grep, Glob, Edit, Bash\n---\n${AGENT_BODY}\n`,
  ".claude/skills/release/SKILL.md":
    "---\nname: release\ndescription: |\n  Tags a release, writes its changelog from the merged pull requests since the last tag, and pushes both with make release once the test suite passes on main.\n  TRIGGER when: the user says ship it, cut a release or tag a version.\n---\nRun make release and report the tag.\n",
};

/** The item Claude Code lists for `name`, as it sent it: up to the next item, a blank line or the reminder's end (its lists run so). */
function listedItem(request: MessagesRequest, name: string): string {
  const texts = [
    ...request.messages.flatMap((message) =>
      typeof message.content === "string" ? [message.content] : message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])),
    ),
    // 2.1.100 lists agents in the Agent tool's description.
    ...(request.tools ?? []).flatMap((tool) => ("description" in tool && typeof tool.description === "string" ? [tool.description] : [])),
  ];
  for (const text of texts) {
    const at = text.indexOf(`\n- ${name}: `);
    if (at < 0) continue;
    const rest = text.slice(at + 3);
    const end = rest.search(/\n- |\n\n|\n<\/system-reminder>/);
    return end < 0 ? rest : rest.slice(0, end);
  }
  throw new Error(`Claude Code listed no ${name}`);
}

const SYSTEM_PROMPT = "You are Ada, a terse Rust reviewer.\n\nAnswer in French, and cite every finding as file:line.";

describe.each(TRIM_MATRIX)("the user's text on Claude Code %s", (_name, claudeCode) => {
  describe("their agent and skill, with descriptions over 160 characters (the skill's over two lines)", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, { files: LONG_LISTED });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: named word for word, as Claude Code listed them, "(Tools: …)" and every line of the description kept`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size);
        const upstream = JSON.stringify(explanation.upstream);
        for (const [kind, name] of [
          ["agent", "tester"],
          ["skill", "release"],
        ] as const) {
          const item = listedItem(capture.body, name);
          expect(item.length).toBeGreaterThan(160);
          expect(upstream).toContain(JSON.stringify(`- ${kind} ${item}`).slice(1, -1));
        }
        expect(upstream).toContain("(Tools: Read, Grep, Glob, Edit, Bash)");
        expect(upstream).not.toContain("…");
        expect(explanation.user.filter((part) => part.part === "their agents and skills").every((part) => part.fate === "named in one line")).toBe(true);
        expect(explanation.claudeCode).toEqual({ version: claudeCode.version, unplaced: [] });
      });
  });

  describe("a system prompt the user wrote in place of Claude Code's (--system-prompt)", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, { args: ["--system-prompt", SYSTEM_PROMPT] });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: opens the system prompt the model gets, with nothing of mallex's own before it, named as theirs`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size);
        const first = explanation.upstream.messages[0];
        expect(first).toMatchObject({ role: "system" });
        expect(String(first?.content).startsWith(SYSTEM_PROMPT)).toBe(true);
        expect(explanation.user).toContainEqual({
          part: "their own system prompt, in place of Claude Code's",
          chars: SYSTEM_PROMPT.length,
          fate: "system prompt",
        });
        expect(explanation.user.map((part) => part.part)).not.toContain("their own system prompt lines");
        expect(explanation.claudeCode).toEqual({ version: claudeCode.version, unplaced: [] });
      });
  });

  describe("their subagent's own prompt (.claude/agents/tester.md), as the system prompt of its requests", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, {
        files: LONG_LISTED,
        args: ["--allowedTools", "Agent,Task,Read,Grep,Glob,Edit,Bash"],
        subagent: "tester",
      });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: the agent's prompt opens the system prompt, Claude Code's notes after it left out`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size);
        expect(String(explanation.upstream.messages[0]?.content).startsWith(AGENT_BODY)).toBe(true);
        expect(explanation.user).toContainEqual({
          part: "their own system prompt, in place of Claude Code's",
          chars: AGENT_BODY.length,
          fate: "system prompt",
        });
        expect(JSON.stringify(explanation.upstream)).not.toContain("Agent threads always have their cwd reset");
      });
  });
});

/** Interactive sessions, started as a user starts one and as `mallex run` does (tool search off, the model named mallex/<profile>). */
const INTERACTIVE = [
  ["as a user starts one", {}],
  ["as mallex run launches it", { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" }],
] as const;

describeWithTerminal("interactive sessions (the real CLI in a terminal)", () => {
  describe.each(TRIM_MATRIX)("Claude Code %s", (_name, claudeCode: ClaudeCodeVersion) => {
    for (const [setting, env] of INTERACTIVE) {
      describe(setting, () => {
        let capture: { body: MessagesRequest; headers: Record<string, string> };
        beforeAll(async () => {
          capture = (await captureInteractiveRequestCached({ bin: claudeCode.bin, version: claudeCode.version, env })) as typeof capture;
        }, 90_000);

        for (const size of SIZES)
          it(`${size}: Claude Code's own lines, built-in agents and notes are its own, placed by rules; the user's CLAUDE.md is all that is theirs`, () => {
            expect(capture.headers["user-agent"]).toMatch(/^claude-cli\/[\d.]+ \(external, cli\)/);
            const explanation = explain(capture.body, capture.headers["user-agent"], size);
            // Issue 49: the identity line and the `! <command>` hint were "their own system prompt lines", claude-code-guide their agent.
            expect(explanation.user.map((part) => `${part.part}: ${part.fate}`)).toEqual(["CLAUDE.md: system prompt"]);
            expect(explanation.claudeCode).toEqual({ version: claudeCode.version, unplaced: [] });
            expect(explanation.cut.claudeCode).toBeGreaterThanOrEqual(GOALS[size]);
            const upstream = JSON.stringify(explanation.upstream);
            for (const gone of ["claude-code-guide", "! <command>", "Anthropic's official CLI", "through the Bash tool"]) expect(upstream).not.toContain(gone);
          });
      });
    }
  });
});
