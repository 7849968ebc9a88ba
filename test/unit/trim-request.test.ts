import { beforeAll, expect, it } from "vitest";
import type { CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { summarizeTrimReport } from "../../src/trim/summarize-trim-report.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import { describeWithShared } from "../helpers/shared-dir.js";
import { firstProfileOfSize, loadCapture, loadShipped, renderChatML, trimAndConvert } from "../helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

/** The capture's CLAUDE.md as the small and medium system prompts show it: its label relative to the working directory. */
const CLAUDE_MD =
  "Contents of CLAUDE.md:\n\n# Project notes for Claude\n\nThis is a tiny test repository used to capture Claude Code traffic.\n- Keep answers short.\n- Never touch files outside this directory.";
const reduction = (request: MessagesRequest, upstream: unknown) => 1 - JSON.stringify(upstream).length / JSON.stringify(request).length;

describeWithShared('trimRequest on Claude Code\'s real "what is 2+2" request (main-request-2plus2.json)', () => {
  const request = loadCapture("main-request-2plus2.json");

  it("small: ≥ 94% fewer prompt characters, and the working directory, CLAUDE.md and the question survive", () => {
    const { trimmed, upstream } = trimAndConvert(request, table, firstProfileOfSize(table, "small"), templates);
    expect(trimmed.ok).toBe(true);
    expect(reduction(request, upstream)).toBeGreaterThanOrEqual(0.94);
    const text = JSON.stringify(upstream.messages);
    expect(text).toContain(" - Primary working directory: /home/dev/tiny-repo");
    expect(text).toContain("Keep answers short.");
    expect(text).toContain("what is 2+2");
    expect(text).toContain("Today's date is 2026-11-21.");
    // Nothing Claude-specific, nothing per conversation.
    for (const gone of [
      "x-anthropic-billing-header",
      "<system-reminder>",
      "Available agent types",
      "IMPORTANT: this context may or may not be relevant",
      "Claude agent",
    ]) {
      expect(JSON.stringify(upstream)).not.toContain(gone);
    }
    // The system prompt and the tools, the same for every session, then the session's own context as a system message of its own.
    expect(upstream.messages.map((m) => m.role)).toEqual(["system", "system", "user"]);
    expect(upstream.tools?.map((t) => t.function.name)).toEqual(["Bash", "Edit", "Read", "Write"]);
    expect(trimmed.report.system).toEqual({
      mode: "template",
      template: "system-small",
      sections: ["environment", "git", "date"],
      user: { passages: 1, chars: CLAUDE_MD.length, placed: true, parts: [{ part: "CLAUDE.md", chars: CLAUDE_MD.length }] },
    });
    // CLAUDE.md moved into the session's system message with the user's instructions, its path relative: the user's turn is the question alone.
    expect(upstream.messages[1]?.content).toContain(CLAUDE_MD);
    expect(upstream.messages[2]?.content).toBe("what is 2+2");
    // The date moved out of its reminder into the session's system message: said once.
    expect(upstream.messages[1]?.content).toContain("Today's date is 2026-11-21.");
    expect(upstream.messages[2]?.content).not.toContain("Today's date");
    // Without the git user (the 1.5B wrote it into config.json's "name", docs/eval.md), nor the branch pull requests go to.
    expect(upstream.messages[1]?.content).toContain("# Git\nCurrent branch: main\n\nStatus:\n(clean)\n\nRecent commits:\na36f7cd initial commit");
    expect(upstream.messages[1]?.content).not.toContain("Main branch");
    expect(upstream.messages[1]?.content).not.toContain("CC Lab");
    expect(upstream.messages[0]?.content).not.toMatch(/tiny-repo|2026-11-21|CC Lab|Project notes/);
    expect(trimmed.report.claudeCode).toEqual({ version: "2.1.197", unplaced: [] });
  });

  it("another session's request starts with the same bytes: what changes per session follows the system prompt and the tools", () => {
    // Another repository, day, commit and CLAUDE.md: all that a new session changes.
    const other = JSON.parse(
      JSON.stringify(request)
        .replaceAll("tiny-repo", "other-repo")
        .replaceAll("2026-11-21", "2026-11-22")
        .replaceAll("a36f7cd", "b47e8fe")
        .replaceAll("This is a tiny test repository", "This is another repository"),
    ) as MessagesRequest;
    for (const size of ["small", "medium"] as const) {
      const profile = firstProfileOfSize(table, size);
      const first = trimAndConvert(request, table, profile, templates).upstream;
      const second = trimAndConvert(other, table, profile, templates).upstream;
      expect(second.messages[0]).toEqual(first.messages[0]);
      expect(second.tools).toEqual(first.tools);
      expect(second.messages[1]).not.toEqual(first.messages[1]);
      expect(second.messages[1]?.content).toContain("other-repo");
      expect(second.messages[1]?.content).toContain("This is another repository");
    }
  });

  it("medium keeps more, and says what: the Harness section and 11 tools", () => {
    const small = trimAndConvert(request, table, firstProfileOfSize(table, "small"), templates);
    const medium = trimAndConvert(request, table, firstProfileOfSize(table, "medium"), templates);
    expect(JSON.stringify(medium.upstream).length).toBeGreaterThan(JSON.stringify(small.upstream).length);
    expect(reduction(request, medium.upstream)).toBeGreaterThanOrEqual(0.9);
    expect(medium.trimmed.report.system).toEqual({
      mode: "template",
      template: "system-medium",
      sections: ["harness", "environment", "git", "date"],
      user: { passages: 1, chars: CLAUDE_MD.length, placed: true, parts: [{ part: "CLAUDE.md", chars: CLAUDE_MD.length }] },
    });
    expect(medium.trimmed.report.tools).toEqual({
      mode: "native",
      offered: ["Bash", "Edit", "NotebookEdit", "Read", "TaskCreate", "TaskGet", "TaskList", "TaskUpdate", "WebFetch", "WebSearch", "Write"],
      client: [],
    });
    const system = medium.upstream.messages[0]?.content as string;
    expect(system).toContain("# How this terminal works\n - Text you output outside of tool use is displayed");
    expect(system).toContain(" - Reference code as `file_path:line_number` — it's clickable.");
    expect(medium.upstream.messages[1]?.content).toContain("Git user: CC Lab\n\nStatus:\n(clean)\n\nRecent commits:\na36f7cd initial commit");
    expect(system).not.toContain("# Session-specific guidance");
  });

  it("large passes the system prompt through, minus the billing block, with every tool", () => {
    const { trimmed, upstream } = trimAndConvert(request, table, firstProfileOfSize(table, "large"), templates);
    expect(trimmed.report.system).toEqual({ mode: "passthrough", reason: "trimming.large.passthrough is set" });
    expect(upstream.messages[0]?.content).toContain("# Memory");
    expect(upstream.tools).toHaveLength(24);
    // The agent and skill lists stay (their tools are offered): known text, so nothing is unplaced.
    expect(trimmed.report.rules.map((r) => r.rule)).toEqual([
      "billing-header",
      "claude-md",
      "context-intro",
      "claude-md-label",
      "claude-md-source",
      "relevance-disclaimer",
    ]);
    expect(JSON.stringify(upstream.messages)).toContain("Available agent types for the Agent tool:");
    expect(trimmed.report.claudeCode).toEqual({ version: "2.1.197", unplaced: [] });
  });

  it("reports every rule with the characters it removed; before/after measure the prompt JSON", () => {
    const { trimmed } = trimAndConvert(request, table, firstProfileOfSize(table, "small"), templates);
    const rules = trimmed.report.rules;
    const reminder = "messages.0.content.0 (reminder 1)";
    expect(rules.slice(0, 9)).toEqual([
      { rule: "billing-header", target: "system.0", charsRemoved: 74 },
      { rule: "date", target: reminder, charsRemoved: "# currentDate\nToday's date is 2026-11-21.".length },
      // CLAUDE.md, with Claude Code's heading and sentence over it, out of the reminder: its files go into the
      // system prompt with the user's instructions (report.system.user counts them).
      { rule: "claude-md-to-system", target: reminder, charsRemoved: 461 },
      { rule: "context-intro", target: reminder, charsRemoved: "As you answer the user's questions, you can use the following context:\n".length },
      { rule: "relevance-disclaimer", target: reminder, charsRemoved: 154 },
      { rule: "emptied", target: reminder, charsRemoved: "<system-reminder>\n\n</system-reminder>".length + 2 },
      { rule: "agent-list", target: "messages.1", charsRemoved: 1544 },
      { rule: "skill-list", target: "messages.1", charsRemoved: 4518 },
      // Nothing left of the message: removed with the wrapper the translator would have put around it.
      { rule: "emptied", target: "messages.1", charsRemoved: 37 },
    ]);
    expect(1544 + 4518).toBe((request.messages[1]?.content as string).length);
    expect(rules.filter((r) => r.rule === "tool-allowlist").map((r) => r.target)).toHaveLength(20);
    expect(rules.find((r) => r.target === "tools.Workflow")).toEqual({
      rule: "tool-allowlist",
      target: "tools.Workflow",
      charsRemoved: JSON.stringify(request.tools?.find((t) => t.name === "Workflow")).length,
    });
    expect(rules.at(-1)?.rule).toBe("system-template");
    expect(trimmed.report.before.chars).toBe(
      JSON.stringify(request.system).length + JSON.stringify(request.messages).length + JSON.stringify(request.tools).length,
    );
    expect(trimmed.report.after.chars).toBeLessThan(trimmed.report.before.chars / 15);
    expect(trimmed.report.budgetTokens).toBe(8000);
  });

  it("summarizes what was cut in one log line", () => {
    const { trimmed } = trimAndConvert(request, table, firstProfileOfSize(table, "small"), templates);
    expect(summarizeTrimReport(trimmed.report)).toBe(
      "trim 76,308 → 1,950 chars (−97%): billing-header −74 · date −41 · claude-md-to-system −461 · context-intro −71 · relevance-disclaimer −154 · " +
        "emptied ×2 −76 · agent-list −1,544 · skill-list −4,518 · tool-allowlist ×20 −56,933 · tool-description ×4 −2,462 · tool-schema ×4 −2,514 · system-template −5,239 · the user's text kept whole: 185 chars (CLAUDE.md 185 in the system prompt)",
    );
    const budget = {
      ...trimmed.report,
      rules: [
        { rule: "budget", target: "messages.4.content.0", charsRemoved: 2017 },
        { rule: "budget", target: "messages.6.content.0", charsRemoved: 10 },
      ],
    };
    expect(summarizeTrimReport(budget)).toBe(
      "trim 76,308 → 1,950 chars (−97%): budget shortened messages.4.content.0, messages.6.content.0 −2,027 · the user's text kept whole: 185 chars (CLAUDE.md 185 in the system prompt)",
    );
    expect(summarizeTrimReport({ ...trimmed.report, rules: [] })).toBe(
      "trim 76,308 → 1,950 chars (−97%): no rule fired · the user's text kept whole: 185 chars (CLAUDE.md 185 in the system prompt)",
    );
    // Trimming that makes a request longer (a rendered tools prompt) is a growth, never "−-61%".
    const grown = {
      ...trimmed.report,
      before: { ...trimmed.report.before, chars: 242 },
      after: { ...trimmed.report.after, chars: 575 },
      rules: [{ rule: "tools-prompt", target: "tools", charsRemoved: -306 }],
    };
    expect(summarizeTrimReport(grown)).toBe(
      "trim 242 → 575 chars (+138%): tools-prompt +306 · the user's text kept whole: 185 chars (CLAUDE.md 185 in the system prompt)",
    );
  });

  it("is deterministic and never changes its input", () => {
    const copy = structuredClone(request);
    const profile = firstProfileOfSize(table, "small");
    const first = JSON.stringify(trimAndConvert(request, table, profile, templates).upstream);
    const second = JSON.stringify(trimAndConvert(structuredClone(request), table, profile, templates).upstream);
    expect(second).toBe(first);
    expect(request).toEqual(copy);
  });

  it("offers the original definitions of the allowed tools for checking the model's calls", () => {
    const { trimmed } = trimAndConvert(request, table, firstProfileOfSize(table, "small"), templates);
    expect(trimmed.offeredTools.map((t) => t.name)).toEqual(["Bash", "Edit", "Read", "Write"]);
    expect(trimmed.offeredTools[3]).toBe(request.tools?.[23]);
  });
});

describeWithShared("prefix stability: turn N+1's upstream prompt starts with turn N's bytes", () => {
  const first = loadCapture("tool-use-first-request.json");
  const followup = loadCapture("tool-use-followup.json");
  const xmlProfile = (profile: CompiledProfile): CompiledProfile => ({ ...profile, name: `${profile.name}-xml`, toolMode: "xml" });

  for (const size of ["small", "medium", "large"] as const) {
    for (const mode of ["native", "xml"] as const) {
      it(`${size}, ${mode} tools`, () => {
        const base = firstProfileOfSize(table, size);
        const profile = mode === "xml" ? xmlProfile(base) : base;
        const turn1 = trimAndConvert(first, table, profile, templates).upstream;
        const turn2 = trimAndConvert(followup, table, profile, templates).upstream;
        expect(turn2.messages.length).toBeGreaterThan(turn1.messages.length);
        expect(turn2.tools).toEqual(turn1.tools);
        const prompt1 = renderChatML(turn1);
        const prompt2 = renderChatML(turn2);
        expect(prompt2.startsWith(prompt1)).toBe(true);
        expect(prompt2.length).toBeGreaterThan(prompt1.length);
        // The message list itself is append-only.
        expect(turn2.messages.slice(0, turn1.messages.length)).toEqual(turn1.messages);
      });
    }
  }

  it("a new session in the same repository, on another day and commit, starts with the session before's directory and CLAUDE.md", () => {
    const before = loadCapture("main-request-2plus2.json");
    const next = JSON.parse(
      JSON.stringify(before)
        .replaceAll("2026-11-21", "2026-11-24")
        .replaceAll("(clean)", "M app.js")
        .replaceAll("a36f7cd initial commit", "9c1e2d4 add totals"),
    ) as MessagesRequest;
    for (const size of ["small", "medium"] as const) {
      const profile = firstProfileOfSize(table, size);
      const [a, b] = [before, next].map((request) => renderChatML(trimAndConvert(request, table, profile, templates).upstream));
      let shared = 0;
      while (a![shared] === b![shared]) shared++;
      // What the server's cache serves the new session: up to the date, the first thing that changed.
      expect(a!.slice(0, shared)).toContain(CLAUDE_MD);
      expect(a!.slice(shared)).toMatch(/^1\.\n\n# Git\n/);
    }
  });

  it("another repository's new session shares the session before's prompt up to its directory: whether it is a git repository comes first", () => {
    const before = loadCapture("main-request-2plus2.json");
    const other = JSON.parse(JSON.stringify(before).replaceAll("tiny-repo", "billing-service")) as MessagesRequest;
    for (const size of ["small", "medium"] as const) {
      const profile = firstProfileOfSize(table, size);
      const [a, b] = [before, other].map((request) => renderChatML(trimAndConvert(request, table, profile, templates).upstream));
      let shared = 0;
      while (a![shared] === b![shared]) shared++;
      expect(a!.slice(0, shared)).toMatch(/<\|im_start\|>system\n - Is a git repository: true\n - Primary working directory: \/home\/dev\/$/);
      expect(a!.slice(shared)).toMatch(/^tiny-repo\n/);
    }
  });

  it("xml mode writes the tool prompt into the system prompt and the earlier call as an <invoke> block", () => {
    const profile = xmlProfile(firstProfileOfSize(table, "small"));
    const { trimmed, upstream } = trimAndConvert(followup, table, profile, templates);
    expect(upstream.tools).toBeUndefined();
    expect(trimmed.request.tools).toBeUndefined();
    const system = upstream.messages[0]?.content as string;
    expect(system).toContain(
      '# Tools\n\nYou can call the tools below. To call one, write exactly this, with one <parameter> per argument:\n\n<invoke name="TOOL_NAME">',
    );
    expect(system).toContain(
      "## Write\nWrites a file to the local filesystem, overwriting if one exists.\nArguments:\n- file_path (string, required)\n- content (string, required)",
    );
    expect(JSON.stringify(upstream.messages)).toContain(
      '<invoke name=\\"Write\\">\\n<parameter name=\\"file_path\\">/home/dev/tiny-repo/hello.txt</parameter>\\n<parameter name=\\"content\\">hi</parameter>\\n</invoke>',
    );
    expect(trimmed.report.rules.find((r) => r.rule === "tools-prompt")).toBeDefined();
  });

  it("xml mode keeps a forced call, asked for in words after the conversation", () => {
    const profile = xmlProfile(firstProfileOfSize(table, "small"));
    const { trimmed, upstream } = trimAndConvert({ ...followup, tool_choice: { type: "tool", name: "Read" } }, table, profile, templates);
    expect(trimmed.request.tool_choice).toEqual({ type: "tool", name: "Read" });
    expect(upstream).not.toHaveProperty("tool_choice");
    expect(upstream.messages.at(-1)?.content).toMatch(/<system-reminder>\nYou must call the tool "Read" in your reply\.\n<\/system-reminder>$/);
    const unforced = trimAndConvert(followup, table, profile, templates).upstream;
    expect(JSON.stringify(unforced.messages)).not.toContain("You must call");
  });

  it("a long tool result is shortened to fit the budget and reported by its path in Claude Code's request", () => {
    const long = structuredClone(followup);
    const result = long.messages[3]?.content as Array<{ content: string }>;
    result[0]!.content = Array.from({ length: 4000 }, (_, i) => `line ${i}`).join("\n");
    const { trimmed, upstream } = trimAndConvert(long, table, firstProfileOfSize(table, "small"), templates);
    expect(trimmed.ok).toBe(true);
    const budget = trimmed.report.rules.filter((r) => r.rule === "budget");
    expect(budget).toEqual([{ rule: "budget", target: "messages.3.content.0", charsRemoved: expect.any(Number) }]);
    expect(trimmed.report.after.tokens).toBeLessThanOrEqual(8000);
    const tool = upstream.messages.find((m) => m.role === "tool");
    expect(tool?.content).toMatch(/^line 0\nline 1\n[\s\S]*\n\[… \d+ chars cut by mallex …\]\n[\s\S]*line 3999$/);
    expect((tool?.content as string).length).toBeLessThanOrEqual(4000);
  });

  it("the title request (not the main agent prompt) keeps its own system prompt", () => {
    const title = loadCapture("title-request.json");
    const trimmed = trimRequest(title, trimPlanFor(table, firstProfileOfSize(table, "small")), templates);
    // Claude Code sent it, but no agent of its: it carries no built-in tool.
    expect(trimmed.report.system).toEqual({ mode: "passthrough", reason: "no keep rule of trimming.small matched: not a Claude Code agent's system prompt" });
    expect(trimmed.report.claudeCode).toEqual({ version: "2.1.197", unplaced: [] });
    const system = trimmed.request.system as Array<{ text: string }>;
    expect(system.map((b) => b.text.slice(0, 20))).toEqual(["You are a Claude age", "Generate a concise, "]);
  });
});
