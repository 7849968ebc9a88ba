import { describe, expect, it } from "vitest";
import type { CompiledKeepRule } from "../../src/compile/routing-table.js";
import { createTemplates } from "../../src/templates/create-templates.js";
import { buildSystemPrompt } from "../../src/trim/system-prompt/build-system-prompt.js";
import { extractKeptSections } from "../../src/trim/system-prompt/extract-kept-sections.js";
import { testPlan, testProfile } from "../helpers/trim-helpers.js";

const PROMPT = [
  "You are an agent.",
  "",
  "# Harness",
  " - Output is markdown.",
  "## Details",
  "Nested detail.",
  "```markdown",
  "# not a heading (in a fence)",
  "```",
  "# Memory",
  "Memory stuff.",
  "# Environment",
  " - Primary working directory: /repo",
  " - Is a git repository: true",
  " - Platform: linux",
  " - You are powered by Opus.",
  "",
  "gitStatus: snapshot",
  "",
  "Current branch: main",
  "",
  "Recent commits:",
  "a1 one",
  "b2 two",
].join("\n");

const rx = (source: string, flags = "") => ({ source, flags });

describe("extractKeptSections", () => {
  it("heading: the section up to the next heading of the same or higher level; fenced # lines do not count", () => {
    expect(extractKeptSections(PROMPT, [{ id: "harness", heading: "harness" }])).toEqual([
      {
        id: "harness",
        text: " - Output is markdown.\n## Details\nNested detail.\n```markdown\n# not a heading (in a fence)\n```",
        charsCut: 0,
        from: "system",
        matched: "# Harness\n - Output is markdown.\n## Details\nNested detail.\n```markdown\n# not a heading (in a fence)\n```",
      },
    ]);
    expect(extractKeptSections(PROMPT, [{ id: "details", heading: "Details" }])[0]?.text).toBe(
      "Nested detail.\n```markdown\n# not a heading (in a fence)\n```",
    );
  });

  it("pattern: the whole first match (plain groups only group), or its first named group", () => {
    const environment: CompiledKeepRule = {
      id: "environment",
      pattern: rx(" - Primary working directory:[^\\n]*(\\n - (Is a git repository|Platform|Shell|OS Version):[^\\n]*)*"),
    };
    expect(extractKeptSections(PROMPT, [environment])).toEqual([
      {
        id: "environment",
        text: " - Primary working directory: /repo\n - Is a git repository: true\n - Platform: linux",
        charsCut: 0,
        from: "system",
        matched: " - Primary working directory: /repo\n - Is a git repository: true\n - Platform: linux",
      },
    ]);
    expect(extractKeptSections(PROMPT, [{ id: "branch", pattern: rx("Current (branch): (?<name>\\w+)") }])[0]?.text).toBe("main");
  });

  it("max_chars cuts at the last line break in the second half, else exactly; absent sections are left out", () => {
    const git: CompiledKeepRule = { id: "git", pattern: rx("Current branch: [\\s\\S]*$"), maxChars: 40 };
    expect(extractKeptSections(PROMPT, [git])).toEqual([
      { id: "git", text: "Current branch: main\n\nRecent commits:", charsCut: 14, from: "system", matched: PROMPT.slice(PROMPT.indexOf("Current branch")) },
    ]);
    expect(extractKeptSections("x".repeat(50), [{ id: "x", pattern: rx("x+"), maxChars: 10 }])[0]?.text).toBe("x".repeat(10));
    expect(
      extractKeptSections(PROMPT, [
        { id: "none", heading: "Nowhere" },
        { id: "blank", pattern: rx("\\n\\n") },
      ]),
    ).toEqual([]);
  });
});

describe("buildSystemPrompt", () => {
  const templates = createTemplates({
    system:
      "{{model.name}} ({{model.size}}, {{model.params_b}}B, {{tool_mode}}) tools: {{#each tools}}{{name}} {{/each}}\n{{#if sections.environment}}# Env\n{{sections.environment}}\n{{/if}}{{#if tools_prompt}}{{tools_prompt}}{{/if}}<kept & unescaped>",
  });
  const trimming = { passthrough: false, systemTemplate: "system", keep: [{ id: "environment", heading: "Environment", maxChars: 40 }] };
  const plan = testPlan({ trimming, profile: testProfile({ name: "tiny", paramsB: 3 }) });
  const billing = { type: "text" as const, text: "x-anthropic-billing-header: cc_version=1;" };
  const tools = [{ name: "Read", description: "Reads.", input_schema: { type: "object" } }];

  it("renders the size's template from the ORIGINAL prompt's kept sections, the profile and the tools", () => {
    const original = [billing, { type: "text" as const, text: PROMPT }];
    const result = buildSystemPrompt({ original, filtered: [{ type: "text", text: "filtered away" }], tools, toolsPrompt: "" }, plan, templates);
    const text = "tiny (small, 3B, native) tools: Read \n# Env\n - Primary working directory: /repo\n<kept & unescaped>";
    expect(result.system).toEqual([{ type: "text", text }]);
    // Every line the keep rule did not place is text no Claude Code release writes: the user's, which this template does not place.
    // (Headings such as "# Memory" and code fences are lines Claude Code writes too.)
    const user = ["You are an agent.", " - Output is markdown.\n## Details\nNested detail.", "# not a heading (in a fence)", "Memory stuff."];
    expect(result.report).toEqual({
      mode: "template",
      template: "system",
      sections: ["environment"],
      user: { passages: 4, chars: user.join("").length, placed: false, parts: [{ part: "their own system prompt lines", chars: user.join("").length }] },
    });
    const environment = PROMPT.slice(PROMPT.indexOf(" - Primary"));
    expect(result.hits).toEqual([
      { rule: "environment", target: "system", charsRemoved: environment.length - " - Primary working directory: /repo".length },
      { rule: "system-template", target: "system", charsRemoved: "filtered away".length - text.length },
    ]);
  });

  it("passes through a system prompt no keep rule recognises (a title request), adding the tools prompt as a last block", () => {
    const original = [billing, { type: "text" as const, text: "Generate a concise title." }];
    const result = buildSystemPrompt({ original, filtered: original.slice(1), tools, toolsPrompt: "# Tools\n..." }, plan, templates);
    expect(result.system).toEqual([
      { type: "text", text: "Generate a concise title." },
      { type: "text", text: "# Tools\n..." },
    ]);
    expect(result.report).toEqual({ mode: "passthrough", reason: "no keep rule of trimming.small matched: not a Claude Code agent's system prompt" });
    expect(result.hits).toEqual([]);
  });

  it("passes through when the trimming says so, or when there is no system prompt", () => {
    const passthrough = testPlan({ trimming: { ...trimming, passthrough: true } });
    expect(buildSystemPrompt({ original: PROMPT, filtered: PROMPT, tools, toolsPrompt: "" }, passthrough, templates)).toEqual({
      system: PROMPT,
      hits: [],
      report: { mode: "passthrough", reason: "trimming.small.passthrough is set" },
      moved: [],
    });
    expect(buildSystemPrompt({ original: undefined, filtered: undefined, tools, toolsPrompt: "" }, plan, templates).system).toBeUndefined();
    expect(buildSystemPrompt({ original: undefined, filtered: undefined, tools, toolsPrompt: "T" }, plan, templates).system).toEqual([
      { type: "text", text: "T" },
    ]);
  });
});

describe("extractKeptSections over a Claude Code conversation's preamble", () => {
  const environment: CompiledKeepRule = { id: "environment", pattern: rx("(?:# Environment\\n)?(?<env> - Primary working directory:[^\\n]*)") };
  const date: CompiledKeepRule = { id: "date", pattern: rx("Today's date is [^\\n]*") };
  const units = [
    { path: "messages.0.content.0 (reminder 1)", text: "# currentDate\nToday's date is 2026-11-22." },
    { path: "messages.1", text: "# Environment\n - Primary working directory: /repo\n\nToday's date is 1999-01-01." },
  ];

  it("takes the system prompt's fact first, else the first unit's, and says what moves out of that unit", () => {
    expect(extractKeptSections("You are Claude.", [environment, date], units)).toEqual([
      {
        id: "environment",
        text: " - Primary working directory: /repo",
        charsCut: 0,
        from: "messages.1",
        matched: "# Environment\n - Primary working directory: /repo",
      },
      { id: "date", text: "Today's date is 2026-11-22.", charsCut: 0, from: "messages.0.content.0 (reminder 1)", matched: "Today's date is 2026-11-22." },
    ]);
    expect(extractKeptSections(PROMPT, [environment], units)).toEqual([
      {
        id: "environment",
        text: " - Primary working directory: /repo",
        charsCut: 0,
        from: "system",
        matched: "# Environment\n - Primary working directory: /repo",
      },
    ]);
  });

  it("a heading rule moves its heading line with the section", () => {
    const found = extractKeptSections(
      "",
      [{ id: "git", heading: "gitStatus" }],
      [{ path: "messages.0", text: "intro\n# gitStatus\nCurrent branch: main\n# other\nx" }],
    );
    expect(found).toEqual([{ id: "git", text: "Current branch: main", charsCut: 0, from: "messages.0", matched: "# gitStatus\nCurrent branch: main" }]);
  });
});

describe("buildSystemPrompt for one of Claude Code's agents", () => {
  const templates = createTemplates({ system: "Coder.{{#if sections.environment}}\n{{sections.environment}}{{/if}}" });
  const trimming = { passthrough: false, systemTemplate: "system", keep: [{ id: "environment", pattern: rx(" - Primary working directory:[^\\n]*") }] };
  const plan = testPlan({ trimming });

  it("renders the template whatever the system prompt says, names the keep rules that found nothing, and says what of the user's it could not place", () => {
    const result = buildSystemPrompt(
      {
        original: "A prompt in words no rule knows.",
        filtered: "A prompt in words no rule knows.",
        tools: [],
        toolsPrompt: "",
        claudeCode: true,
        preamble: [],
      },
      plan,
      templates,
    );
    expect(result.system).toEqual([{ type: "text", text: "Coder." }]);
    expect(result.report).toEqual({
      mode: "template",
      template: "system",
      sections: [],
      missing: ["environment"],
      user: { passages: 1, chars: 32, placed: false, parts: [{ part: "their own system prompt lines", chars: 32 }] },
    });
  });

  it("keeps the user's text where the template places {{user_instructions}}, and none of Claude Code's own", () => {
    const placing = createTemplates({ system: "Coder.{{#if user_instructions}}\n\n{{user_instructions}}{{/if}}" });
    const original =
      "You are an interactive agent that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.\n\nAlways answer in French.";
    const result = buildSystemPrompt({ original, filtered: original, tools: [], toolsPrompt: "", claudeCode: true, preamble: [] }, plan, placing);
    expect(result.system).toEqual([{ type: "text", text: "Coder.\n\nAlways answer in French." }]);
    expect(result.report).toMatchObject({ user: { passages: 1, chars: 24, placed: true } });
  });

  describe("a system prompt the user wrote in place of Claude Code's (issue 49: mallex's persona went before it)", () => {
    const billing = { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.197.84c; cc_entrypoint=sdk-cli;" };
    const identity = { type: "text" as const, text: "You are a Claude agent, built on Anthropic's Claude Agent SDK." };
    const persona = createTemplates({
      system:
        "{{#if user_system_prompt}}{{user_system_prompt}}{{else}}You are mallex's coder.{{/if}}{{#if sections.environment}}\n{{sections.environment}}{{/if}}{{#if user_instructions}}\n\n{{user_instructions}}{{/if}}",
    });
    const build = (original: { type: "text"; text: string }[], using = persona) =>
      buildSystemPrompt({ original, filtered: original, tools: [], toolsPrompt: "", claudeCode: true, preamble: [] }, plan, using);

    it("--system-prompt: the user's prompt opens the system prompt, in place of the template's own opening", () => {
      const result = build([billing, identity, { type: "text", text: "You are Ada, a terse Rust reviewer.\n\nAnswer in French." }]);
      expect(result.system).toEqual([{ type: "text", text: "You are Ada, a terse Rust reviewer.\n\nAnswer in French." }]);
      expect(result.report).toMatchObject({
        user: { passages: 1, placed: true, parts: [{ part: "their own system prompt, in place of Claude Code's", chars: 54 }] },
      });
    });

    it("a custom subagent's prompt: the agent's text first, Claude Code's notes after it left out, the facts and the user's other lines where the template puts them", () => {
      const agent = [
        "You review code. Report bugs first.",
        "",
        "Notes:",
        "- For clear communication with the user the assistant MUST avoid using emojis.",
        " - Primary working directory: /repo",
        "",
        "Always sign as Ada.",
      ].join("\n");
      const result = build([billing, identity, { type: "text", text: agent }]);
      expect(result.system).toEqual([
        { type: "text", text: "You review code. Report bugs first.\n - Primary working directory: /repo\n\nAlways sign as Ada." },
      ]);
      expect(result.report).toMatchObject({
        user: {
          passages: 2,
          placed: true,
          parts: [
            { part: "their own system prompt, in place of Claude Code's", chars: 35 },
            { part: "their own system prompt lines", chars: 19 },
          ],
        },
      });
    });

    it("Claude Code's own prompt, with or without a line the user appended, keeps the template's opening", () => {
      const own =
        "You are an interactive agent that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.";
      const result = build([billing, identity, { type: "text", text: `${own}\n\nAlways answer in French.` }]);
      expect(result.system).toEqual([{ type: "text", text: "You are mallex's coder.\n\nAlways answer in French." }]);
      expect(result.report).toMatchObject({ user: { parts: [{ part: "their own system prompt lines", chars: 24 }] } });
      // Without Claude Code's identity block ahead of it, nothing says the prompt was replaced: the template's opening stays.
      expect(build([billing, { type: "text", text: "You are Ada." }]).system).toEqual([{ type: "text", text: "You are mallex's coder.\n\nYou are Ada." }]);
    });

    it("a template without {{user_system_prompt}} still gets the user's prompt, with their other lines", () => {
      const older = createTemplates({ system: "Coder.{{#if user_instructions}}\n\n{{user_instructions}}{{/if}}" });
      const result = build([billing, identity, { type: "text", text: "You are Ada." }], older);
      expect(result.system).toEqual([{ type: "text", text: "Coder.\n\nYou are Ada." }]);
      expect(result.report).toMatchObject({ user: { placed: true, parts: [{ part: "their own system prompt lines", chars: 12 }] } });
    });
  });

  it("names an output style in the system prompt as one, apart from the user's other lines", () => {
    const placing = createTemplates({ system: "Coder.{{#if user_instructions}}\n\n{{user_instructions}}{{/if}}" });
    const original =
      "You are an interactive agent that helps users with software engineering tasks. Use the instructions below and the tools available to you to assist the user.\n\n# Output Style: Terse\nOne line per answer.\n\n# Doing tasks\n\nAlways answer in French.";
    const result = buildSystemPrompt({ original, filtered: original, tools: [], toolsPrompt: "", claudeCode: true, preamble: [] }, plan, placing);
    expect(result.report).toMatchObject({
      user: {
        passages: 2,
        placed: true,
        parts: [
          { part: "output style Terse", chars: "# Output Style: Terse\nOne line per answer.".length },
          { part: "their own system prompt lines", chars: 24 },
        ],
      },
    });
  });

  it("finds the facts in the preamble and reports them as moved", () => {
    const preamble = [{ path: "messages.1", text: "# Environment\n - Primary working directory: /repo" }];
    const result = buildSystemPrompt({ original: "Prompt.", filtered: "Prompt.", tools: [], toolsPrompt: "", claudeCode: true, preamble }, plan, templates);
    expect(result.system).toEqual([{ type: "text", text: "Coder.\n - Primary working directory: /repo" }]);
    expect(result.moved.map((s) => [s.id, s.from, s.matched])).toEqual([["environment", "messages.1", " - Primary working directory: /repo"]]);
  });
});
