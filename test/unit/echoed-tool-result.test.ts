import { describe, expect, it } from "vitest";
import { echoedResult, echoedResultCorrection, withoutEchoedResults } from "../../src/translate/tool-calls/echoed-tool-result.js";
import type { AnthropicMessageParam, AnthropicOutputBlock } from "../../src/translate/anthropic-types.js";
import { numberedLines } from "../helpers/read-result.js";

const PATH = "/repo/wordcount.py";
const CREATED = `File created successfully at: ${PATH} (file state is current in your context — no need to Read it back)`;
const conversation: AnthropicMessageParam[] = [
  { role: "user", content: "Write `wordcount.py`." },
  { role: "assistant", content: [{ type: "tool_use", id: "w", name: "Write", input: { file_path: PATH, content: "print(1)\n" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "w", content: CREATED }] },
  { role: "assistant", content: [{ type: "tool_use", id: "b", name: "Bash", input: { command: "python3 wordcount.py < in.txt" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "b", content: "1 2 12" }] },
];
const use = (name: string, input: Record<string, unknown>, id = "n"): AnthropicOutputBlock => ({ type: "tool_use", id, name, input });

describe("echoedResult: a call that would write a tool's message into a file", () => {
  it("finds a Write of a change's result, and an Edit or MultiEdit whose new text is one line naming the file's own path", () => {
    expect(echoedResult({ content: [use("Write", { file_path: PATH, content: `${CREATED}\n` })] }, conversation)).toMatchObject({ path: PATH });
    // The 1.5B's own variant of the message: not the result, but one line about the file itself.
    const updated = `File updated successfully at: ${PATH}`;
    expect(echoedResult({ content: [use("Write", { file_path: PATH, content: updated })] }, conversation)).toMatchObject({ call: { name: "Write" } });
    expect(echoedResult({ content: [use("Edit", { file_path: PATH, old_string: "print(1)", new_string: updated })] }, conversation)).toBeDefined();
    const multi = use("MultiEdit", {
      file_path: PATH,
      edits: [
        { old_string: "a", new_string: "b" },
        { old_string: "print(1)", new_string: updated },
      ],
    });
    expect(echoedResult({ content: [multi] }, conversation)).toBeDefined();
    // The 0.5B's shorter variant: one line, every word of it from the change's result.
    for (const content of ["Created successfully.", "File created successfully.\n", "file state is current"])
      expect(echoedResult({ content: [use("Write", { file_path: PATH, content })] }, conversation)).toMatchObject({ path: PATH });
  });

  it("leaves real content alone: code, a command's output saved, a file that names another file's path, an emptied file, other tools", () => {
    const none = [
      use("Write", { file_path: PATH, content: "import sys\nprint(sys.stdin.read().count('\\n'))\n" }),
      use("Write", { file_path: "/repo/out.txt", content: "1 2 12" }),
      use("Write", { file_path: "/repo/notes.md", content: `See ${PATH}` }),
      use("Edit", { file_path: PATH, old_string: "print(1)", new_string: "" }),
      use("Bash", { command: `echo ${CREATED}` }),
      use("Write", { content: CREATED }),
      // Words of the result, but not a message: one word, more than one line, a word of its own, an Edit's new line.
      use("Write", { file_path: "/repo/status.txt", content: "created\n" }),
      use("Write", { file_path: PATH, content: "file created\nsuccessfully\n" }),
      use("Write", { file_path: PATH, content: "File created successfully: 3 lines" }),
      use("Edit", { file_path: PATH, old_string: "print(1)", new_string: "# the file is current" }),
    ];
    for (const call of none) expect(echoedResult({ content: [call] }, conversation)).toBeUndefined();
  });

  it("tells the model what it did, and that the file is written already where the conversation wrote it", () => {
    const echoed = echoedResult({ content: [use("Write", { file_path: PATH, content: CREATED })] }, conversation)!;
    expect(echoedResultCorrection(echoed, conversation)).toBe(
      "That Write would put a tool's own message into wordcount.py instead of its content: it was not run. wordcount.py is written already. If the task is done, say so in one sentence.",
    );
    expect(echoedResultCorrection(echoed, conversation.slice(0, 1))).not.toContain("written already");
  });

  it("withoutEchoedResults: each such call becomes a sentence; the others stay, and the turn ends only where no call is left", () => {
    const answer = {
      content: [use("Write", { file_path: PATH, content: CREATED }, "a"), use("Bash", { command: "ls" }, "b")],
      stop_reason: "tool_use" as const,
    };
    const kept = withoutEchoedResults(answer, conversation);
    expect(kept.dropped).toBe(1);
    expect(kept.answer.content).toEqual([
      { type: "text", text: `(mallex did not pass on the model's Write of ${PATH}: its text was a tool's message, not the file's content.)` },
      answer.content[1],
    ]);
    expect(kept.answer.stop_reason).toBe("tool_use");
    expect(withoutEchoedResults({ ...answer, content: answer.content.slice(0, 1) }, conversation).answer.stop_reason).toBe("end_turn");
    // An answer cut short never becomes a turn the model ended.
    const cut = { content: answer.content.slice(0, 1), stop_reason: "max_tokens" as const };
    expect(withoutEchoedResults(cut, conversation).answer.stop_reason).toBe("max_tokens");
  });
});

describe("echoedResult: a Write that puts a file back as it was before it was changed", () => {
  const ROMAN = "/repo/roman.py";
  const STUB = "def to_roman(n):\n    raise NotImplementedError\n";
  const DONE = "def to_roman(n):\n    return 'I' * n\n";
  // The real 1.5B's turns: roman.py read, then written implemented.
  const implemented: AnthropicMessageParam[] = [
    { role: "user", content: "Implement `to_roman` in roman.py." },
    { role: "assistant", content: [{ type: "tool_use", id: "r", name: "Read", input: { file_path: ROMAN } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "r", content: numberedLines(STUB) }] },
    { role: "assistant", content: [{ type: "tool_use", id: "w", name: "Write", input: { file_path: ROMAN, content: DONE } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "w", content: `The file ${ROMAN} has been updated successfully.` }] },
  ];
  const putBack = use("Write", { file_path: ROMAN, content: STUB.trimEnd() });

  it("finds it (the model's Write of roman.py as its Read showed it), and says so to the model and in the answer", () => {
    const echoed = echoedResult({ content: [putBack] }, implemented)!;
    expect(echoed).toMatchObject({ path: ROMAN, kind: "past" });
    expect(echoedResultCorrection(echoed, implemented)).toBe(
      "That Write would put roman.py back as it was before it was changed: it was not run. roman.py is written already. If the task is done, say so in one sentence.",
    );
    expect(withoutEchoedResults({ content: [putBack], stop_reason: "tool_use" as const }, implemented).answer).toEqual({
      content: [{ type: "text", text: `(mallex did not pass on the model's Write of ${ROMAN}: its text was the file as it was before it was changed.)` }],
      stop_reason: "end_turn",
    });
  });

  it("leaves alone a Write of the file as it is now, of a new text, of a file never changed, and any Write where the caller allows a change undone", () => {
    expect(echoedResult({ content: [use("Write", { file_path: ROMAN, content: DONE })] }, implemented)).toBeUndefined();
    expect(echoedResult({ content: [use("Write", { file_path: ROMAN, content: "def to_roman(n):\n    return str(n)\n" })] }, implemented)).toBeUndefined();
    expect(echoedResult({ content: [use("Write", { file_path: ROMAN, content: STUB })] }, implemented.slice(0, 3))).toBeUndefined();
    expect(echoedResult({ content: [putBack] }, implemented, { pastTexts: false })).toBeUndefined();
    expect(withoutEchoedResults({ content: [putBack], stop_reason: "tool_use" as const }, implemented, { pastTexts: false }).dropped).toBe(0);
  });
});

describe("echoedResult: an Edit that changes nothing", () => {
  const PKG = "/repo/package.json";
  // The real 0.5B's turns: package.json read, then an Edit whose new_string is its old_string (Claude Code refuses it).
  const read: AnthropicMessageParam[] = [
    { role: "user", content: "Release 2.3.5 as CLAUDE.md says." },
    { role: "assistant", content: [{ type: "tool_use", id: "r", name: "Read", input: { file_path: PKG } }] },
    { role: "user", content: [{ type: "tool_result", tool_use_id: "r", content: numberedLines('{ "version": "2.3.4" }\n') }] },
  ];
  const same = use("Edit", { file_path: PKG, old_string: '"version": "2.3.4"', new_string: '"version": "2.3.4"' });

  it("finds an Edit, or a MultiEdit's edit, whose new text is its old text, and tells the model to give the changed text", () => {
    const echoed = echoedResult({ content: [same] }, read)!;
    expect(echoed).toMatchObject({ path: PKG, kind: "unchanged" });
    expect(echoedResultCorrection(echoed, read)).toBe(
      "That Edit would change nothing in package.json (its new_string is its old_string): it was not run. Give new_string the changed text, or, if the task is done, say so in one sentence.",
    );
    const multi = use("MultiEdit", {
      file_path: PKG,
      edits: [
        { old_string: "a", new_string: "b" },
        { old_string: "2.3.4", new_string: "2.3.4" },
      ],
    });
    expect(echoedResult({ content: [multi] }, read)).toMatchObject({ kind: "unchanged" });
    expect(echoedResult({ content: [use("Edit", { file_path: PKG, old_string: "2.3.4", new_string: "2.3.5" })] }, read)).toBeUndefined();
  });

  it("is passed on as it is where it stays: Claude Code's refusal says what it did, in words the model reads", () => {
    const answer = { content: [same], stop_reason: "tool_use" as const };
    expect(withoutEchoedResults(answer, read)).toEqual({ answer, dropped: 0 });
    // Beside a call that is dropped, the log's words are that call's, not the Edit's that stays.
    const echo = use("Write", { file_path: "/repo/CHANGELOG.md", content: "/repo/CHANGELOG.md" }, "w");
    const both = withoutEchoedResults({ content: [same, echo], stop_reason: "tool_use" as const }, read);
    expect(both).toMatchObject({ dropped: 1, said: "its Write would write a tool's message into /repo/CHANGELOG.md" });
    expect(both.answer.content[0]).toBe(same);
  });
});
