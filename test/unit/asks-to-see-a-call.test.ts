import { describe, expect, it } from "vitest";
import { asksToSeeACall } from "../../src/pipeline/answer-checks/asks-to-see-a-call.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";

const asking = (content: MessagesRequest["messages"][number]["content"]): boolean => asksToSeeACall({ messages: [{ role: "user", content }] });

describe("asksToSeeACall", () => {
  it.each([
    // The prompts record:tool-calls sends (scripts/record-tool-calls-prompts.js).
    "Show me an example of what a tool call looks like",
    "Explain the JSON format you use for tool calls",
    "Without running anything, show me the tool call you would make to delete the build folder",
    "Don't run it, just show me the command",
    "What does a tool call look like in your output?",
    "Give me some examples for tool calls to Read.",
    "What is the syntax of a tool call?",
  ])("sees a user asking to be shown a call: %s", (text) => expect(asking(text)).toBe(true));

  it.each([
    "Create a file named notes.txt containing exactly: remember the milk",
    "Read the file CLAUDE.md and tell me what it says",
    "Run the command `ls -la` and show me its output",
    "In CLAUDE.md, replace the word project with repository",
    "Search this project for the word TODO",
    "Don't make it long; write the tests for src/app.ts",
    "Run the tests but do not run the slow suite",
    "Fix the function call on line 3 of main.ts",
    "Format the file, then show me an example of its output.",
    "Format the function calls in utils.js consistently",
    "Add examples of function calls to README.md",
    "What does this function call look like after the refactor?",
    "Write tests/fixtures/calls.json with an example of a tool call for our agent SDK",
    "Create docs/tool-calls.md explaining the format of tool calls our API accepts",
  ])("sees a request for work: %s", (text) => expect(asking(text)).toBe(false));

  it("reads only the user's words, not Claude Code's reminders in the same message", () => {
    const reminder = "<system-reminder>\nContents of CLAUDE.md: do not run anything as root. Example of a tool call format: …\n</system-reminder>\n\n";
    expect(asking([{ type: "text", text: `${reminder}Read a.ts` }])).toBe(false);
    expect(
      asking([
        { type: "text", text: reminder },
        { type: "text", text: "Explain the JSON format you use for tool calls" },
      ]),
    ).toBe(true);
  });

  it("reads only the conversation's last message, and only a user's", () => {
    const ask = { role: "user" as const, content: "Show me an example of what a tool call looks like" };
    const result = { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "t1", content: "hello" }] };
    const call = { role: "assistant" as const, content: [{ type: "tool_use" as const, id: "t1", name: "Read", input: { file_path: "/a" } }] };
    expect(asksToSeeACall({ messages: [ask] })).toBe(true);
    expect(asksToSeeACall({ messages: [ask, call, result] })).toBe(false);
    expect(asksToSeeACall({ messages: [ask, { role: "assistant", content: "Sure." }] })).toBe(false);
    expect(asksToSeeACall({ messages: [] })).toBe(false);
  });

  // vitest's timeout is the bound: each cue reads a character at most 40 more times.
  it("gets through 500 KB of cue words", () => {
    expect(asking("a tool call, then another one, ".repeat(16_000))).toBe(false);
  });
});
