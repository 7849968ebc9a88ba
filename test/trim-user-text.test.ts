/**
 * The user's own text on every checked release, in the settings issue 49 found it lost or misreported:
 * their agents' and skills' descriptions however long, a system prompt they wrote in place of Claude
 * Code's (`--system-prompt`, a custom subagent's), an output style, and interactive sessions, whose
 * own lines, built-in agent and tools a `-p` run never shows. Each request is captured from the real
 * CLI (offline, against a fake API on loopback; interactive ones in tmux) and trimmed exactly as
 * `mallex explain` trims it. The releases are TRIM_MATRIX's and one between them the built-in own
 * lines were never learned from (2.1.260), trimmed with the own lines `mallex run` learns from its
 * installed CLI.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { captureInteractiveRequestCached } from "../scripts/claude-code/capture-interactive.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import type { ClaudeCodeLines } from "../src/observe/claude-code-lines.js";
import { explainRequest, type Explanation } from "../src/pipeline/explain-request.js";
import type { Templates } from "../src/templates/load-templates.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { TRIM_MATRIX, captureFirstRequest, unseenClaudeCode, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { describeWithTerminal } from "./helpers/terminal.js";
import { firstProfileOfSize, loadShipped } from "./helpers/trim-helpers.js";
import { describeUnseenMissing, learnUnseen } from "./helpers/unseen-release.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

const SIZES = ["small", "medium"] as const;
/** The goals for Claude Code's own text cut. */
const GOALS = { small: 0.95, medium: 0.9 } as const;

type Learned = ClaudeCodeLines["learned"] | undefined;

const explain = (request: MessagesRequest, userAgent: string | undefined, size: (typeof SIZES)[number], learned: Learned): Explanation =>
  explainRequest(request, { table, profile: firstProfileOfSize(table, size), templates, userAgent, learned });

interface Release {
  claudeCode: ClaudeCodeVersion;
  /** Trimmed with the own lines `mallex run` learns from the installed CLI (a release the built-in lines do not cover). */
  learns: boolean;
}

const unseen = unseenClaudeCode();
/** TRIM_MATRIX's releases, trimmed with the built-in own lines, and the unseen one (2.1.260) with its learned lines, as `mallex run` trims it. */
const RELEASES: readonly (readonly [name: string, release: Release])[] = [
  ...TRIM_MATRIX.map(([name, claudeCode]) => [name, { claudeCode, learns: false }] as const),
  ...("missing" in unseen ? [] : [[`${unseen.version} (unseen, its own lines learned)`, { claudeCode: unseen, learns: true }] as const]),
];
if ("missing" in unseen) describeUnseenMissing("the user's text on an unseen Claude Code release", unseen.missing);

/** The release's own lines for explain (the learned ones where it learns), read before a suite's tests. */
function learnedLines(release: Release): () => Learned {
  let learned: Learned;
  beforeAll(async () => {
    if (release.learns) learned = (await learnUnseen(release.claudeCode)).lines.learned;
  }, 120_000);
  return () => learned;
}

/** explain's report on Claude Code when every part of its request was placed by a rule (its own lines learned, where they were). */
const allPlaced = ({ claudeCode, learns }: Release) => ({ version: claudeCode.version, unplaced: [], ...(learns ? { ownLines: "learned" } : {}) });

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

/** A project's output style (as trim-claude-code-versions' STYLE_AND_HOOKS, without the hooks). */
const STYLE = "Answer in one line with no preamble, and cite every claim as file:line.";
const OUTPUT_STYLE = {
  ".claude/settings.json": JSON.stringify({ outputStyle: "Terse reviewer" }),
  ".claude/output-styles/terse.md": `---\nname: Terse reviewer\ndescription: One-line answers that cite file:line.\n---\n${STYLE}\n`,
};

describe.each(RELEASES)("the user's text on Claude Code %s", (_name, release) => {
  const { claudeCode } = release;
  const learned = learnedLines(release);

  describe("their agent and skill, with descriptions over 160 characters (the skill's over two lines)", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, { files: LONG_LISTED });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: named word for word, as Claude Code listed them, "(Tools: …)" and every line of the description kept`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size, learned());
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
        expect(explanation.claudeCode).toEqual(allPlaced(release));
      });
  });

  describe("a system prompt the user wrote in place of Claude Code's (--system-prompt)", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, { args: ["--system-prompt", SYSTEM_PROMPT] });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: opens the system prompt the model gets, with nothing of mallex's own before it, named as theirs`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size, learned());
        const first = explanation.upstream.messages[0];
        expect(first).toMatchObject({ role: "system" });
        expect(String(first?.content).startsWith(SYSTEM_PROMPT)).toBe(true);
        expect(explanation.user).toContainEqual({
          part: "their own system prompt, in place of Claude Code's",
          chars: SYSTEM_PROMPT.length,
          fate: "system prompt",
        });
        expect(explanation.user.map((part) => part.part)).not.toContain("their own system prompt lines");
        expect(explanation.claudeCode).toEqual(allPlaced(release));
      });
  });

  describe("their output style (.claude/output-styles)", () => {
    let capture: Awaited<ReturnType<typeof captureFirstRequest>>;
    beforeAll(async () => {
      capture = await captureFirstRequest(claudeCode, { files: OUTPUT_STYLE });
    }, 90_000);

    for (const size of SIZES)
      it(`${size}: kept word for word and named as theirs, by its name, wherever the release puts it; Claude Code's sentence about it left out`, () => {
        const explanation = explain(capture.body, capture.headers["user-agent"], size, learned());
        const upstream = JSON.stringify(explanation.upstream);
        expect(upstream).toContain(JSON.stringify(STYLE).slice(1, -1));
        expect(upstream).not.toContain("helps users according to your");
        // Issue 49 found it counted as Claude Code's text (2.1.332 puts it at the conversation's opening).
        expect(explanation.user).toContainEqual({
          part: "output style Terse reviewer",
          chars: `# Output Style: Terse reviewer\n${STYLE}`.length,
          fate: expect.stringMatching(/^(system prompt|conversation)$/),
        });
        expect(explanation.claudeCode).toEqual(allPlaced(release));
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
        const explanation = explain(capture.body, capture.headers["user-agent"], size, learned());
        expect(String(explanation.upstream.messages[0]?.content).startsWith(AGENT_BODY)).toBe(true);
        expect(explanation.user).toContainEqual({
          part: "their own system prompt, in place of Claude Code's",
          chars: AGENT_BODY.length,
          fate: "system prompt",
        });
        expect(JSON.stringify(explanation.upstream)).not.toContain("Agent threads always have their cwd reset");
        expect(explanation.claudeCode).toEqual(allPlaced(release));
      });
  });
});

/**
 * Interactive sessions, started as a user starts one and as `mallex run` does (tool search off, the
 * model named mallex/<profile>), each with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC set and without it
 * (as most users run it, and as `mallex run` passes the user's environment on: more tools, DesignSync).
 */
const RUN_LAUNCH = { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" };
const INTERACTIVE = [
  ["as a user starts one", {}, false],
  ["as a user starts one, non-essential traffic allowed", {}, true],
  ["as mallex run launches it", RUN_LAUNCH, false],
  ["as mallex run launches it, non-essential traffic allowed", RUN_LAUNCH, true],
] as const;

describeWithTerminal("interactive sessions (the real CLI in a terminal)", () => {
  describe.each(RELEASES)("Claude Code %s", (_name, release) => {
    const { claudeCode } = release;
    const learned = learnedLines(release);
    for (const [setting, env, nonessentialTraffic] of INTERACTIVE) {
      describe(setting, () => {
        let capture: { body: MessagesRequest; headers: Record<string, string> };
        beforeAll(async () => {
          capture = (await captureInteractiveRequestCached({ bin: claudeCode.bin, version: claudeCode.version, env, nonessentialTraffic })) as typeof capture;
        }, 90_000);

        for (const size of SIZES)
          it(`${size}: Claude Code's own lines, built-in agents and notes are its own, placed by rules; the user's CLAUDE.md is all that is theirs`, () => {
            expect(capture.headers["user-agent"]).toMatch(/^claude-cli\/[\d.]+ \(external, cli\)/);
            const explanation = explain(capture.body, capture.headers["user-agent"], size, learned());
            // docs/proxy.md's interactive cuts are these lines.
            console.log(
              `own-text cut | ${claudeCode.version} | interactive, ${setting} | ${size} | ${(explanation.cut.claudeCode * 100).toFixed(1)}% | user ${explanation.cut.userChars} | ${explanation.before.chars} → ${explanation.after.chars} chars | ${(capture.body.tools ?? []).length} tools sent`,
            );
            // Issue 49: the identity line and the `! <command>` hint were "their own system prompt lines", claude-code-guide their agent.
            expect(explanation.user.map((part) => `${part.part}: ${part.fate}`)).toEqual(["CLAUDE.md: system prompt"]);
            expect(explanation.claudeCode).toEqual(allPlaced(release));
            expect(explanation.cut.claudeCode).toBeGreaterThanOrEqual(GOALS[size]);
            const upstream = JSON.stringify(explanation.upstream);
            for (const gone of ["claude-code-guide", "! <command>", "Anthropic's official CLI", "through the Bash tool"]) expect(upstream).not.toContain(gone);
          });
      });
    }
  });
});
