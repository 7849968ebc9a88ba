/**
 * Trimming on what users install: the first request of an older, the pinned and the newest Claude
 * Code, captured here from the real CLIs (offline, against a fake API on loopback), through the
 * shipped config exactly as `mallex explain` trims it. Trimming removes Claude Code's text and keeps
 * the user's: a prompt the user appends reaches the model on every release and size.
 */
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import type { Templates } from "../src/templates/load-templates.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { explainRequest } from "../src/pipeline/explain-request.js";
import { TRIM_MATRIX, WAIT_FOR_MCP_SERVERS, captureFirstRequest } from "./helpers/claude-code-versions.js";
import { firstProfileOfSize, loadShipped } from "./helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

/** Whole-word mentions of `names` in `text`. */
const mentions = (text: string, names: readonly string[]) => names.filter((name) => new RegExp(`(?<![\\w-])${name}(?![\\w-])`).test(text));

/** The issue's goals for Claude Code's own text cut, on every release and setting (MCP tools behind ToolSearch too). */
const GOALS = { small: 0.95, medium: 0.9 } as const;

const APPENDED = "Always answer in French, and sign every answer with Ada.";

/** A real stdio MCP server with one tool and instructions (test/fakes/mcp-ticket-server.js). */
const MCP_SERVER = fileURLToPath(new URL("./fakes/mcp-ticket-server.js", import.meta.url));
const MCP_TOOL = "mcp__tickets__lookup_ticket";
const MCP_INSTRUCTIONS = "Ticket ids look like OPS-12: for any question about one, call lookup_ticket with the id (tracker-instructions-5c1d).";
const MCP_PROJECT = { "mcp.json": JSON.stringify({ mcpServers: { tickets: { type: "stdio", command: process.execPath, args: [MCP_SERVER] } } }) };

/** The project's CLAUDE.md (makeProject's) as the system prompt shows it: moved there from the user's turn, its label relative. */
const CLAUDE_MD_KEPT = "Contents of CLAUDE.md:\n\n# Project notes\n- Keep answers short.";

/** A 6 KB CLAUDE.md: the user's, kept whole, and not counted against the cut. */
const LONG_CLAUDE_MD = `# Project notes\n- Keep answers short.\n${Array.from({ length: 65 }, (_, i) => `- Rule ${i + 1}: modules under src/area${i + 1}/ keep their tests in test/area${i + 1}/ and run with npm test.`).join("\n")}\n`;

/** A project's own agent, skill and slash command (listed as a skill), which the small and medium sizes cannot run (no Agent or Skill tool). */
const USER_AGENT_AND_SKILL = {
  ".claude/commands/ship.md": "---\ndescription: Tags a release and pushes it with make ship.\n---\nRun make ship and report the tag.\n",
  ".claude/agents/reviewer.md":
    "---\nname: reviewer\ndescription: Reviews a diff for bugs and style before commit.\ntools: Read, Grep\n---\nYou review code. Report bugs first.\n",
  ".claude/skills/deploy/SKILL.md": "---\nname: deploy\ndescription: Deploys the app to staging with make deploy.\n---\nRun make deploy and report the URL.\n",
};

/** The project's output style and two hooks that add context: the user's text, each kept on every release and size. */
const STYLE = "Answer in one line with no preamble, and cite every claim as file:line.";
const HOOK_SAYS = ["The staging database is read-only until Friday.", "Session note: run make check before any commit."];
const STYLE_AND_HOOKS = {
  ".claude/settings.json": JSON.stringify({
    outputStyle: "Terse reviewer",
    hooks: {
      UserPromptSubmit: [{ hooks: [{ type: "command", command: `echo '${HOOK_SAYS[0]}'` }] }],
      SessionStart: [{ hooks: [{ type: "command", command: `echo '${HOOK_SAYS[1]}'` }] }],
    },
  }),
  ".claude/output-styles/terse.md": `---\nname: Terse reviewer\ndescription: One-line answers that cite file:line.\n---\n${STYLE}\n`,
};

describe.each(TRIM_MATRIX)("trimming Claude Code %s's first request", (_name, claudeCode) => {
  for (const [variant, env, args, files] of [
    ["as installed", {}, [], {}],
    ["with tool search off", { ENABLE_TOOL_SEARCH: "false" }, [], {}],
    // As `mallex run` launches it for the shipped default tier: tool search off, and the model named
    // mallex/<profile> (claude-context-env.ts), which Claude Code then says it is powered by.
    [
      "as mallex run launches it (tool search off, model mallex/qwen3-coder-30b)",
      { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" },
      [],
      {},
    ],
    // mallex run on a small model (claude-context-env.ts for an 8,000-token budget): Claude Code then lists skills by name alone.
    [
      "as mallex run launches it for a small model (input budget 8,000: a 38,600-token window)",
      {
        ENABLE_TOOL_SEARCH: "false",
        ANTHROPIC_MODEL: "mallex/gguf-qwen2.5-coder-1.5b",
        CLAUDE_CODE_MAX_CONTEXT_TOKENS: "38600",
        CLAUDE_CODE_AUTO_COMPACT_WINDOW: "38600",
      },
      [],
      {},
    ],
    ["with a prompt the user appends (--append-system-prompt)", {}, ["--append-system-prompt", APPENDED], {}],
    ["on the model the user picks (claude-sonnet-4-6)", { ANTHROPIC_MODEL: "claude-sonnet-4-6" }, [], {}],
    ["with the project's own agent, skill and command", {}, [], USER_AGENT_AND_SKILL],
    ["in plan mode (--permission-mode plan)", {}, ["--permission-mode", "plan"], {}],
    ["with the project's output style and hooks", {}, [], STYLE_AND_HOOKS],
    ["with a stdio MCP server (--mcp-config)", WAIT_FOR_MCP_SERVERS, ["--mcp-config", "mcp.json", "--strict-mcp-config"], MCP_PROJECT],
    ["with a 6 KB CLAUDE.md", {}, [], { "CLAUDE.md": LONG_CLAUDE_MD }],
  ] as const) {
    describe(variant, () => {
      let request: MessagesRequest;
      let userAgent: string | undefined;
      beforeAll(async () => {
        const capture = await captureFirstRequest(claudeCode, { env, args: [...args], files });
        request = capture.body;
        userAgent = capture.headers["user-agent"];
      }, 90_000);

      for (const size of ["small", "medium"] as const) {
        const goal = GOALS[size];
        it(`${size}: ≥ ${goal * 100}% of Claude Code's own text cut, the template applied, every part placed, the facts and the question kept, no tool named that is not offered`, () => {
          const explanation = explainRequest(request, { table, profile: firstProfileOfSize(table, size), templates, userAgent });
          // docs/proxy.md's table of the own-text cut per release, setting and size is these lines.
          console.log(
            `own-text cut | ${claudeCode.version} | ${variant} | ${size} | ${(explanation.cut.claudeCode * 100).toFixed(1)}% | user ${explanation.cut.userChars} | ${explanation.before.chars} → ${explanation.after.chars} chars | ${(request.tools ?? []).length} tools sent`,
          );
          expect(explanation.cut.claudeCode).toBeGreaterThanOrEqual(goal);
          expect(explanation.system).toMatchObject({ mode: "template", template: `system-${size}` });
          expect(explanation.claudeCode).toEqual({ version: claudeCode.version, unplaced: [] });

          const upstream = JSON.stringify(explanation.upstream);
          expect(upstream).toMatch(/ - Primary working directory: \/[^\s"]*mallex-capture-|Primary working directory: /);
          // The whole environment, however the release indents its lines (2.1.100: "  - Is a git repository"): the machine's
          // lines with the system prompt, the same for every session, the repository's with the session, whether it is one
          // first (the same for nearly every session), then its directory.
          expect(JSON.stringify(explanation.upstream.messages[0])).toMatch(/\\n {1,4}- Platform: linux\\n {1,4}- Shell: /);
          expect(JSON.stringify(explanation.upstream.messages[1])).toMatch(
            /"content":" {1,4}- Is a git repository: true\\n {1,4}- Primary working directory: /,
          );
          // CLAUDE.md is in the session's system message (after the system prompt and tools, the same for every session), with the
          // user's instructions, and the user's turn is theirs alone.
          const [system, session, question] = explanation.upstream.messages;
          expect(system).toMatchObject({ role: "system" });
          expect(session).toMatchObject({ role: "system" });
          expect(JSON.stringify(system)).not.toMatch(/Keep answers short\.|Primary working directory|Today's date|Current branch/);
          expect(JSON.stringify(session)).toContain("Keep answers short.");
          expect(JSON.stringify(question)).not.toContain("Keep answers short.");
          expect(upstream).toContain("what is 2+2");
          expect(upstream).toMatch(/Today's date is \d{4}-\d{2}-\d{2}/);
          expect(upstream).toContain("Current branch: ");
          // (A reminder's opening tag, as JSON writes it: the medium harness itself mentions the tags in backticks.)
          // No reminder goes on but plan mode's, reduced.
          // (The MCP server's instructions, and the list ToolSearch loads from, go on where Claude Code put them.)
          if (files !== MCP_PROJECT) expect(upstream.split("<system-reminder>\\n").length - 1).toBe((args as readonly string[]).includes("plan") ? 1 : 0);
          // (The deferred-tool list stays where it names the user's MCP tools: ToolSearch is offered with it.)
          for (const gone of [
            "x-anthropic-billing-header",
            "Available agent types",
            "The following skills are available",
            ...(explanation.tools.offered.includes("ToolSearch") ? [] : ["deferred tools"]),
            "Co-Authored-By",
            "You are powered by the model",
          ]) {
            expect(upstream).not.toContain(gone);
          }
          // Every line of Claude Code's own prompt is known; the user's sentence, and only it, goes on whole.
          if (files === STYLE_AND_HOOKS) {
            for (const said of [STYLE, ...HOOK_SAYS]) expect(upstream).toContain(said);
            // Claude Code's sentence about output styles is its own: only the style goes on as the user's (where it is in the system prompt).
            expect(upstream).not.toContain("helps users according to your");
            // CLAUDE.md, and the style where the release puts it into the system prompt.
            const user = explanation.system.mode === "template" ? explanation.system.user : undefined;
            expect([
              { passages: 1, chars: CLAUDE_MD_KEPT.length, placed: true },
              { passages: 2, chars: CLAUDE_MD_KEPT.length + STYLE.length + "# Output Style: Terse reviewer\n".length, placed: true },
            ]).toContainEqual({ ...user, parts: undefined });
          } else if (files === MCP_PROJECT) {
            // The MCP server's tool is offered, or named in the list ToolSearch (offered) loads it from; its instructions go on whole where they came.
            const offered = explanation.tools.offered;
            if (offered.includes(MCP_TOOL)) expect(explanation.tools.client).toEqual([MCP_TOOL]);
            else {
              expect(offered).toContain("ToolSearch");
              expect(upstream).toContain(`\\n${MCP_TOOL}\\n`);
            }
            if (JSON.stringify(request).includes(MCP_INSTRUCTIONS)) expect(upstream).toContain(MCP_INSTRUCTIONS);
          } else if (files !== undefined && "CLAUDE.md" in files) {
            expect(upstream).toContain(JSON.stringify(LONG_CLAUDE_MD.trim()).slice(1, -1));
            expect(explanation.cut.userChars).toBeGreaterThan(6_000);
          } else if (!(args as readonly string[]).includes("--append-system-prompt"))
            expect(explanation.system).toMatchObject({ user: { passages: 1, chars: CLAUDE_MD_KEPT.length, placed: true } });
          else {
            expect(explanation.system).toMatchObject({ user: { passages: 2, chars: APPENDED.length + CLAUDE_MD_KEPT.length, placed: true } });
            expect(upstream).toContain(APPENDED);
          }
          // The user's agent and skill are named, so the model can point the user to them; Claude Code's own are not.
          if (files === USER_AGENT_AND_SKILL) {
            expect(upstream).toMatch(/The user's own (agents and )?skills, which you cannot start \(if one fits the task, tell the user\):/);
            expect(upstream).toContain("- skill deploy: Deploys the app to staging with make deploy.");
            expect(upstream).toContain("- skill ship: Tags a release and pushes it with make ship.");
            // 2.1.100 lists agents in the Agent tool's description: named in the system prompt when the tool goes.
            expect(upstream).toContain("- agent reviewer: Reviews a diff for bugs and style before commit. (Tools: Read, Grep)");
          }
          // Plan mode as the offered tools can follow it: the plan file named, ExitPlanMode offered where Claude Code sends it.
          if ((args as readonly string[]).includes("plan")) {
            expect(upstream).toMatch(/Plan mode is on: .* to \/[^,]*\/\.claude\/plans\/[\w-]+\.md, the only file you may write/);
            expect(upstream).not.toContain("### Phase");
            const exit = (request.tools ?? []).some((tool) => tool.name === "ExitPlanMode");
            expect(explanation.tools.offered.includes("ExitPlanMode")).toBe(exit);
            expect(upstream.includes("then call ExitPlanMode")).toBe(exit);
          }
          // Each part the user wrote or configured is named, with what became of it, and none is lost.
          const parts = explanation.user.map((part) => `${part.part}: ${part.fate}`);
          expect(parts).toContain("CLAUDE.md: system prompt");
          expect(explanation.user.filter((part) => part.fate === "not placed" || part.fate === "not offered")).toEqual([]);
          if ((args as readonly string[]).includes("--append-system-prompt")) expect(parts).toContain("their own system prompt lines: system prompt");
          if (files === USER_AGENT_AND_SKILL) expect(parts).toContain("their agents and skills: named in one line");
          if (files === STYLE_AND_HOOKS) {
            expect(parts).toContain("the hooks' output: conversation");
            // The style is the user's, named by its name, wherever the release puts it (2.1.332: the conversation's opening; issue 49 counted it as Claude Code's).
            expect(explanation.user).toContainEqual({
              part: "output style Terse reviewer",
              chars: `# Output Style: Terse reviewer\n${STYLE}`.length,
              fate: expect.stringMatching(/^(system prompt|conversation)$/),
            });
          }
          if (files === MCP_PROJECT) {
            expect(parts).toContainEqual(expect.stringMatching(new RegExp(`^${MCP_TOOL}: (offered|through ToolSearch)$`)));
            if (JSON.stringify(request).includes(MCP_INSTRUCTIONS))
              expect(explanation.user).toContainEqual({ part: "MCP server tickets: instructions", chars: MCP_INSTRUCTIONS.length, fate: "conversation" });
          }
          expect(upstream).not.toContain("statusline-setup");
          const notOffered = (request.tools ?? []).map((tool) => tool.name).filter((name) => !explanation.tools.offered.includes(name));
          expect(notOffered.length).toBeGreaterThan(0);
          expect(mentions(upstream, notOffered)).toEqual([]);
        });
      }
    });
  }
});
