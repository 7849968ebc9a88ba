import { describe, expect, it } from "vitest";
import { checkConversation, parseBetas } from "../../src/pipeline/check-conversation.js";
import type { AnthropicMessageParam, MessagesRequest } from "../../src/translate/anthropic-types.js";

const request = (messages: AnthropicMessageParam[], extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
  model: "m",
  max_tokens: 1024,
  messages,
  ...extra,
});
const user = (content: AnthropicMessageParam["content"]): AnthropicMessageParam => ({ role: "user", content });
const assistant = (content: AnthropicMessageParam["content"]): AnthropicMessageParam => ({ role: "assistant", content });
const system = (content: string): AnthropicMessageParam => ({ role: "system", content });
const toolUse = (id: string) => ({ type: "tool_use" as const, id, name: "Read", input: {} });
const toolResult = (id: string) => ({ type: "tool_result" as const, tool_use_id: id, content: "ok" });
const read = { name: "Read", input_schema: { type: "object" } };

describe("checkConversation", () => {
  it("accepts a plain question, prefill, a leading assistant turn and Claude Code's mid-conversation system messages", () => {
    expect(checkConversation(request([user("hi")]))).toBeUndefined();
    expect(checkConversation(request([user("hi"), assistant("The answer is (")]))).toBeUndefined();
    expect(checkConversation(request([assistant("How can I help?"), user("hi")]))).toBeUndefined();
    expect(checkConversation(request([user("hi"), system("Available agent types: …"), assistant([toolUse("t1")]), user([toolResult("t1")])]))).toBeUndefined();
  });

  it("refuses an empty conversation", () => {
    expect(checkConversation(request([]))).toBe("messages: at least one message is required");
  });

  it("refuses empty content, except in a final assistant message", () => {
    const rule = "all messages must have non-empty content except for the optional final assistant message";
    expect(checkConversation(request([user("")]))).toBe(`messages.0: ${rule}`);
    expect(checkConversation(request([user("hi"), assistant([]), user("again")]))).toBe(`messages.1: ${rule}`);
    expect(checkConversation(request([user("hi"), assistant("")]))).toBeUndefined();
  });

  it("accepts Claude Code's per-turn settings: an empty system message with output_config (a new /effort), and only that", () => {
    const settings: AnthropicMessageParam = { role: "system", content: [], output_config: { effort: "low" } };
    expect(checkConversation(request([user("hi"), settings, assistant([toolUse("t1")]), user([toolResult("t1")])]))).toBeUndefined();
    expect(checkConversation(request([user("hi"), { role: "system", content: [] }]))).toBe(
      "messages.1: all messages must have non-empty content except for the optional final assistant message",
    );
  });

  it("refuses an empty text block anywhere, but not whitespace a local model may have written", () => {
    expect(checkConversation(request([user([{ type: "text", text: "" }])]))).toBe("messages: text content blocks must be non-empty");
    expect(checkConversation(request([user("hi"), assistant([{ type: "text", text: "" }, toolUse("t")]), user([toolResult("t")])]))).toBe(
      "messages: text content blocks must be non-empty",
    );
    expect(checkConversation(request([user("hi"), assistant([{ type: "text", text: "\n" }])]))).toBeUndefined();
  });

  it("refuses a tool_result with no tool_use in the assistant turn right before it", () => {
    const unexpected = (path: string, id: string) =>
      `${path}: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${id}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`;
    expect(checkConversation(request([user([toolResult("t0")])]))).toBe(unexpected("messages.0.content.0", "t0"));
    expect(checkConversation(request([user("hi"), assistant([toolUse("t1")]), user([toolResult("t1"), toolResult("t2")])]))).toBe(
      unexpected("messages.2.content.1", "t2"),
    );
    // An older turn's tool_use does not count.
    expect(checkConversation(request([user("hi"), assistant([toolUse("t1")]), user([toolResult("t1")]), assistant("done"), user([toolResult("t1")])]))).toBe(
      unexpected("messages.4.content.0", "t1"),
    );
  });

  it("merges consecutive messages of one role into one turn, as the API does", () => {
    expect(
      checkConversation(request([user("hi"), assistant("let me look"), assistant([toolUse("t1")]), user([toolResult("t1")]), user("and then?")])),
    ).toBeUndefined();
    expect(checkConversation(request([user("hi"), assistant([toolUse("t1")]), user("wait"), user([toolResult("t1")])]))).toBeUndefined();
  });

  it("refuses tool_choice without tools, except none", () => {
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "any" } }))).toBe(
      "tool_choice: tool_choice may only be specified while providing tools.",
    );
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "auto" }, tools: [] }))).toBe(
      "tool_choice: tool_choice may only be specified while providing tools.",
    );
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "auto" }, tools: [read] }))).toBeUndefined();
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "none" } }))).toBeUndefined();
  });

  it("refuses a forced tool the request does not offer (no server could be made to call it)", () => {
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "tool", name: "Write" }, tools: [read] }))).toBe(
      'tool_choice.name: the tool "Write" that tool_choice forces is not one of the request\'s tools.',
    );
    expect(checkConversation(request([user("hi")], { tool_choice: { type: "tool", name: read.name }, tools: [read] }))).toBeUndefined();
  });

  it("refuses a thinking budget that is not below max_tokens, unless interleaved thinking spreads it over the turn", () => {
    const over = request([user("hi")], { max_tokens: 2048, thinking: { type: "enabled", budget_tokens: 2048 } });
    expect(checkConversation(over)).toMatch(/^`max_tokens` must be greater than `thinking.budget_tokens`\. Please consult our documentation at https:\/\//);
    expect(checkConversation(over, { betas: ["interleaved-thinking-2025-05-14"] })).toBeUndefined();
    expect(checkConversation({ ...over, max_tokens: 2049 })).toBeUndefined();
    expect(checkConversation(over, { forCounting: true })).toBeUndefined();
    expect(checkConversation(request([user("hi")], { max_tokens: 0 }))).toBeUndefined();
  });
});

describe("parseBetas", () => {
  it("splits the anthropic-beta comma list", () => {
    expect(parseBetas("claude-code-20250219, interleaved-thinking-2025-05-14,")).toEqual(["claude-code-20250219", "interleaved-thinking-2025-05-14"]);
    expect(parseBetas(null)).toEqual([]);
  });
});
