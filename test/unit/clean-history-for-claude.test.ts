import { describe, expect, it } from "vitest";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { cleanHistoryForClaude, removeMallexNotes } from "../../src/translate/clean-history-for-claude.js";
import { outputCapNote } from "../../src/translate/output-cap-note.js";
import { formatInvalidCallNote } from "../../src/translate/tool-calls/resolve-tool-call.js";

const request = (messages: MessagesRequest["messages"]): MessagesRequest => ({ model: "claude-sonnet-4-6", max_tokens: 16, messages });

describe("cleanHistoryForClaude", () => {
  it("leaves a history the API takes as it is", () => {
    const clean = request([
      { role: "user", content: "hi" },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "t", signature: "sig" },
          { type: "tool_use", id: "toolu_01A-b", name: "Read", input: {} },
        ],
      },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_01A-b", content: "x" }] },
    ]);
    expect(cleanHistoryForClaude(clean)).toEqual(clean);
  });

  it("drops unsigned thinking and keeps signed thinking", () => {
    const cleaned = cleanHistoryForClaude(
      request([
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "local", signature: "" },
            { type: "thinking", thinking: "claude", signature: "s" },
            { type: "text", text: "ok" },
          ],
        },
        { role: "user", content: "more" },
      ]),
    );
    expect(cleaned.messages[1]!.content).toEqual([
      { type: "thinking", thinking: "claude", signature: "s" },
      { type: "text", text: "ok" },
    ]);
  });

  it("rewrites invalid tool_use ids the same way in tool_use and tool_result, onto ids not already used", () => {
    const cleaned = cleanHistoryForClaude(
      request([
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: "functions.Read:0", name: "Read", input: {} },
            { type: "tool_use", id: "functions_Read_0", name: "Read", input: {} },
            { type: "tool_use", id: "call 1", name: "Read", input: {} },
            { type: "tool_use", id: "::", name: "Read", input: {} },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "functions.Read:0", content: "a" },
            { type: "tool_result", tool_use_id: "functions_Read_0", content: "b" },
            { type: "tool_result", tool_use_id: "call 1", content: "c" },
            { type: "tool_result", tool_use_id: "::", content: "d" },
          ],
        },
      ]),
    );
    const uses = (cleaned.messages[1]!.content as Array<{ id: string }>).map((b) => b.id);
    const results = (cleaned.messages[2]!.content as Array<{ tool_use_id: string }>).map((b) => b.tool_use_id);
    expect(uses).toEqual(["functions_Read_0_2", "functions_Read_0", "call_1", "toolu"]);
    expect(results).toEqual(uses);
    for (const id of uses) expect(id).toMatch(/^[a-zA-Z0-9_-]+$/);
  });

  it("removes mallex's notes from assistant text, and the blocks and turns they leave empty", () => {
    const invalid = formatInvalidCallNote("no tool named Delete", '<tool_call>{"name":"Delete"}</tool_call>');
    const cleaned = cleanHistoryForClaude(
      request([
        { role: "user", content: "go" },
        {
          role: "assistant",
          content: [
            { type: "text", text: `Let me look.\n${invalid}` },
            { type: "text", text: `Done${outputCapNote(512, "qwen3-coder-30b")}` },
          ],
        },
        { role: "user", content: "again" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "local", signature: "" },
            { type: "text", text: outputCapNote(512, undefined) },
          ],
        },
        { role: "user", content: "and again" },
        { role: "assistant", content: `Sure${outputCapNote(64, "p")}` },
        { role: "user", content: "last" },
      ]),
    );
    expect(cleaned.messages).toEqual([
      { role: "user", content: "go" },
      {
        role: "assistant",
        content: [
          { type: "text", text: 'Let me look.\n<tool_call>{"name":"Delete"}</tool_call>' },
          { type: "text", text: "Done" },
        ],
      },
      { role: "user", content: "again" },
      { role: "user", content: "and again" },
      { role: "assistant", content: "Sure" },
      { role: "user", content: "last" },
    ]);
  });

  it("keeps the user's own text and a final assistant prefill as they are", () => {
    const note = outputCapNote(8, "p");
    const cleaned = cleanHistoryForClaude(
      request([
        { role: "user", content: [{ type: "text", text: `quoting ${note}` }] },
        { role: "assistant", content: "" },
      ]),
    );
    expect(cleaned.messages).toEqual([
      { role: "user", content: [{ type: "text", text: `quoting ${note}` }] },
      { role: "assistant", content: "" },
    ]);
  });

  it("drops empty text blocks inside tool results", () => {
    const cleaned = cleanHistoryForClaude(
      request([
        { role: "user", content: "go" },
        { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Read", input: {} }] },
        {
          role: "user",
          content: [
            {
              type: "tool_result",
              tool_use_id: "t1",
              content: [
                { type: "text", text: "" },
                { type: "text", text: "ok" },
              ],
            },
          ],
        },
      ]),
    );
    expect(cleaned.messages[2]!.content).toEqual([{ type: "tool_result", tool_use_id: "t1", content: [{ type: "text", text: "ok" }] }]);
  });
});

describe("removeMallexNotes", () => {
  it("removes every note and nothing else", () => {
    const text = `a${formatInvalidCallNote("x", "raw1")}b${formatInvalidCallNote("y [z]", "raw2")}c${outputCapNote(100, "p")}`;
    expect(removeMallexNotes(text)).toBe("araw1braw2c");
    expect(removeMallexNotes("[mallex: something else]")).toBe("[mallex: something else]");
  });

  it("removes the cap's note wherever the config that sets it is (it kept one that named a file not called mallex.yaml)", () => {
    for (const settingsIn of [
      "in /work/project/local.yaml",
      "in ~/.mallex/mallex.yaml",
      "in a mallex.yaml of your own (`mallex init` writes one; mallex now runs its shipped default)",
    ])
      expect(removeMallexNotes(`The story goes on${outputCapNote(48, "local", undefined, settingsIn)}`), settingsIn).toBe("The story goes on");
    expect(removeMallexNotes(`words${outputCapNote(256, "tiny", 4096)}`)).toBe("words");
  });
});
