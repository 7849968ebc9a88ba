import { describe, expect, it } from "vitest";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { applyBlockFilters } from "../../src/trim/apply-block-filters.js";
import { joinSegments, splitSystemReminders } from "../../src/trim/read-preamble.js";
import { filter, request, testPlan, testProfile } from "../helpers/trim-helpers.js";

const WRAPPER = "<system-reminder>\n\n</system-reminder>".length; // 37
const reminder = (inner: string) => `<system-reminder>\n${inner}\n</system-reminder>`;

const claudeMd = filter({ id: "claude-md", where: ["reminder"], pattern: "# claudeMd", action: "unwrap", priority: 40 });
const disclaimer = filter({
  id: "disclaimer",
  where: ["reminder"],
  pattern: "\\s*IMPORTANT: may not be relevant\\.",
  action: "replace",
  replacement: "",
  priority: 30,
});
const nag = filter({
  id: "task-nag",
  where: ["reminder"],
  pattern: "TodoWrite tool hasn't been used",
  action: "drop",
  priority: 20,
  sizes: ["small", "medium"],
});

describe("splitSystemReminders", () => {
  it("finds every reminder in a text with other text around it, and joins back to the same bytes", () => {
    const text = `before${reminder("A")}\n\nmid<system-reminder>B</system-reminder>tail<system-reminder>unclosed`;
    const segments = splitSystemReminders(text);
    expect(segments).toEqual([
      { kind: "text", text: "before" },
      { kind: "reminder", open: "<system-reminder>\n", inner: "A", close: "\n</system-reminder>", after: "\n\n" },
      { kind: "text", text: "mid" },
      { kind: "reminder", open: "<system-reminder>", inner: "B", close: "</system-reminder>", after: "" },
      { kind: "text", text: "tail<system-reminder>unclosed" },
    ]);
    expect(joinSegments(segments)).toBe(text);
  });
});

describe("applyBlockFilters: reminders", () => {
  const text = `${reminder("# claudeMd\nKeep it short.\nIMPORTANT: may not be relevant.")}\n\n${reminder("The TodoWrite tool hasn't been used recently.")}\n\nHello\n${reminder("Something new")}\n`;
  const input = request([{ role: "user", content: [{ type: "text", text }] }]);
  const plan = testPlan({ filters: [claudeMd, disclaimer, nag] });

  it("unwraps, replaces and drops by priority; an unknown reminder is unwrapped, its content kept", () => {
    const { request: out, hits } = applyBlockFilters(input, plan);
    expect(out.messages).toEqual([{ role: "user", content: [{ type: "text", text: "# claudeMd\nKeep it short.\n\nHello\nSomething new\n" }] }]);
    expect(hits).toEqual([
      { rule: "claude-md", target: "messages.0.content.0 (reminder 1)", charsRemoved: WRAPPER },
      { rule: "disclaimer", target: "messages.0.content.0 (reminder 1)", charsRemoved: "\nIMPORTANT: may not be relevant.".length },
      { rule: "task-nag", target: "messages.0.content.0 (reminder 2)", charsRemoved: reminder("The TodoWrite tool hasn't been used recently.").length + 2 },
      { rule: "unknown-reminder", target: "messages.0.content.0 (reminder 3)", charsRemoved: WRAPPER },
    ]);
  });

  it("honors sizes: on a large profile the nag filter does not run, so that reminder is unknown and unwrapped", () => {
    const large = testPlan({ filters: [claudeMd, disclaimer, nag], profile: testProfile({ size: "large" }) });
    const { request: out, hits } = applyBlockFilters(input, large);
    expect((out.messages[0]?.content as Array<{ text: string }>)[0]?.text).toBe(
      "# claudeMd\nKeep it short.\n\nThe TodoWrite tool hasn't been used recently.\n\nHello\nSomething new\n",
    );
    expect(hits.map((h) => h.rule)).toEqual(["claude-md", "disclaimer", "unknown-reminder", "unknown-reminder"]);
  });

  it("a replace-only match keeps the wrapper; a higher-priority drop stops the rest", () => {
    const only = request([{ role: "user", content: reminder("x IMPORTANT: may not be relevant.") }]);
    expect(applyBlockFilters(only, testPlan({ filters: [disclaimer] })).request.messages).toEqual([{ role: "user", content: reminder("x") }]);
    const dropFirst = filter({ id: "drop-all", where: ["reminder"], pattern: ".", action: "drop", priority: 99 });
    const { hits } = applyBlockFilters(only, testPlan({ filters: [dropFirst, disclaimer] }));
    expect(hits).toEqual([{ rule: "drop-all", target: "messages.0 (reminder 1)", charsRemoved: reminder("x IMPORTANT: may not be relevant.").length }]);
  });

  it("an unwrapped reminder never runs into the text around it", () => {
    const tight = request([{ role: "user", content: `Hi<system-reminder>note</system-reminder>there ${reminder("end")}` }]);
    expect(applyBlockFilters(tight, testPlan()).request.messages).toEqual([{ role: "user", content: "Hi\nnote\nthere \nend" }]);
  });

  it("removes text blocks and user messages that only held dropped reminders", () => {
    const nagOnly = request([
      {
        role: "user",
        content: [
          { type: "text", text: reminder("The TodoWrite tool hasn't been used recently.") },
          { type: "text", text: "go" },
        ],
      },
      { role: "assistant", content: "ok" },
      { role: "user", content: reminder("The TodoWrite tool hasn't been used recently.") },
    ]);
    const { request: out } = applyBlockFilters(nagOnly, testPlan({ filters: [nag] }));
    expect(out.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "go" }] },
      { role: "assistant", content: "ok" },
    ]);
  });

  it("leaves reminders in assistant messages and tool results alone (they are not user text)", () => {
    const other = request([
      { role: "assistant", content: reminder("mine") },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: `data\n${reminder("Something new")}` }] },
    ]);
    const { request: out, hits } = applyBlockFilters(other, testPlan());
    expect(out.messages).toEqual(other.messages);
    expect(hits).toEqual([]);
  });
});

describe('applyBlockFilters: system blocks, role:"system" messages, tool results', () => {
  const system = [
    { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.197.84c; cc_entrypoint=sdk-cli;" },
    { type: "text" as const, text: "You are a Claude agent." },
    { type: "text" as const, text: "Use Claude. Claude is great.", cache_control: { type: "ephemeral" as const } },
  ];

  it("always removes the billing block, even with no filter", () => {
    const { request: out, hits } = applyBlockFilters(request([], { system }), testPlan());
    expect(out.system).toEqual(system.slice(1));
    expect(hits).toEqual([{ rule: "billing-header", target: "system.0", charsRemoved: 74 }]);
  });

  it("drops and replaces system blocks; a g flag replaces every match, none the first only", () => {
    const identity = filter({ id: "identity", where: ["system"], pattern: "^You are a Claude agent", action: "drop", priority: 9 });
    const every = filter({ id: "every", where: ["system"], pattern: "Claude", flags: "g", action: "replace", replacement: "the model" });
    const { request: out, hits } = applyBlockFilters(request([], { system }), testPlan({ filters: [identity, every] }));
    expect(out.system).toEqual([{ type: "text", text: "Use the model. the model is great.", cache_control: { type: "ephemeral" } }]);
    expect(hits).toEqual([
      { rule: "billing-header", target: "system.0", charsRemoved: 74 },
      { rule: "identity", target: "system.1", charsRemoved: 23 },
      { rule: "every", target: "system.2", charsRemoved: -6 },
    ]);
    const first = filter({ id: "first", where: ["system"], pattern: "Claude", action: "replace", replacement: "it" });
    expect(applyBlockFilters(request([], { system: "Claude, Claude" }), testPlan({ filters: [first] })).request.system).toBe("it, Claude");
  });

  it('drops, unwraps or rewrites the mid-conversation role:"system" message', () => {
    const input = request([
      { role: "user", content: "hi" },
      { role: "system", content: "Available agent types for the Agent tool:\n- claude" },
      { role: "system", content: "Skills: none" },
      { role: "system", content: "Plan mode is on." },
    ]);
    const agents = filter({ id: "agents", where: ["system_message"], pattern: "^Available agent types", action: "drop", priority: 3 });
    const skills = filter({ id: "skills", where: ["system_message"], pattern: "^Skills", action: "unwrap", priority: 2 });
    const plan = filter({ id: "plan", where: ["system_message"], pattern: " is on", action: "replace", replacement: " is ON", priority: 1 });
    const { request: out, hits } = applyBlockFilters(input, testPlan({ filters: [agents, skills, plan] }));
    expect(out.messages).toEqual([
      { role: "user", content: "hi" },
      { role: "user", content: "Skills: none" },
      { role: "system", content: "Plan mode is ON." },
    ]);
    expect(hits).toEqual([
      { rule: "agents", target: "messages.1", charsRemoved: "Available agent types for the Agent tool:\n- claude".length + WRAPPER },
      { rule: "skills", target: "messages.2", charsRemoved: WRAPPER },
      { rule: "plan", target: "messages.3", charsRemoved: 0 },
    ]);
  });

  it("filters tool results in place: a drop leaves a placeholder, so the tool_use keeps its result", () => {
    const input: MessagesRequest = request([
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "t1", name: "Bash", input: { command: "npm i" } },
          { type: "tool_use", id: "t2", name: "Read", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "t1", content: "npm WARN deprecated a\nadded 12 packages" },
          { type: "tool_result", tool_use_id: "t2", content: [{ type: "text", text: "BINARY\u0000DATA" }], is_error: true },
        ],
      },
    ]);
    const warn = filter({ id: "npm-warn", where: ["tool_result"], pattern: "^npm WARN[^\\n]*\\n", flags: "gm", action: "replace", replacement: "" });
    const binary = filter({ id: "binary", where: ["tool_result"], pattern: "\\u0000", action: "drop" });
    const { request: out, hits } = applyBlockFilters(input, testPlan({ filters: [warn, binary] }));
    expect(out.messages[1]).toEqual({
      role: "user",
      content: [
        { type: "tool_result", tool_use_id: "t1", content: "added 12 packages" },
        { type: "tool_result", tool_use_id: "t2", content: [{ type: "text", text: "[tool output removed by mallex rule binary]" }], is_error: true },
      ],
    });
    expect(hits).toEqual([
      { rule: "npm-warn", target: "messages.1.content.0", charsRemoved: 22 },
      { rule: "binary", target: "messages.1.content.1.content.0", charsRemoved: 11 - "[tool output removed by mallex rule binary]".length },
    ]);
  });

  it("never changes its input", () => {
    const input = request([{ role: "user", content: [{ type: "text", text: reminder("# claudeMd\nx") }] }], { system });
    const copy = structuredClone(input);
    applyBlockFilters(input, testPlan({ filters: [claudeMd] }));
    expect(input).toEqual(copy);
  });
});
