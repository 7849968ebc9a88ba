import { describe, expect, it } from "vitest";
import { describeRequest } from "../../src/router/describe-request.js";
import { detectStall } from "../../src/router/detect-stall.js";
import type { AnthropicContentBlock, AnthropicMessageParam } from "../../src/translate/anthropic-types.js";

const REMINDER = { type: "text" as const, text: "<system-reminder>\nThe file src/a.ts was modified.\n</system-reminder>" };
const EDIT = { file_path: "/home/dev/repo/src/a.ts", old_string: "const a = 1;", new_string: "const a = 2;" };
const NOT_FOUND = "<tool_use_error>String to replace not found in file.\nString: const a = 1;</tool_use_error>";

let ids = 0;
const user = (text: string): AnthropicMessageParam => ({ role: "user", content: [REMINDER, { type: "text", text }] });

/** An assistant turn calling `name` with `input`, then the user message with its result. */
function round(name: string, input: unknown, result: { content: string; error?: boolean }, text?: string): AnthropicMessageParam[] {
  const id = `toolu_${++ids}`;
  const assistant: AnthropicContentBlock[] = [...(text === undefined ? [] : [{ type: "text" as const, text }]), { type: "tool_use", id, name, input }];
  return [
    { role: "assistant", content: assistant },
    { role: "user", content: [{ type: "tool_result", tool_use_id: id, content: result.content, ...(result.error ? { is_error: true } : {}) }] },
  ];
}
const failedEdit = (input: unknown = EDIT) => round("Edit", input, { content: NOT_FOUND, error: true });
const readA = () => round("Read", { file_path: "/home/dev/repo/src/a.ts" }, { content: "1\tconst a = 3;" });

describe("detectStall: the same failing call twice", () => {
  it("is a stall when the last two calls are the same Edit and both failed", () => {
    expect(detectStall([user("make a 2"), ...failedEdit(), ...failedEdit()])).toEqual({
      kind: "failing-call",
      detail: "Edit on src/a.ts failed twice with the same input",
    });
  });

  it("reads Claude Code's <tool_use_error> text as a failure without is_error, and a failed Bash by its flag", () => {
    const bare = () => round("Edit", EDIT, { content: NOT_FOUND });
    expect(detectStall([user("make a 2"), ...bare(), ...bare()])?.kind).toBe("failing-call");
    const test = () => round("Bash", { command: "npm test", description: "Run the tests" }, { content: "Exit code 1\nFAIL test/a.test.ts", error: true });
    expect(detectStall([user("fix the tests"), ...test(), ...test()])).toEqual({
      kind: "failing-call",
      detail: 'Bash "npm test" failed twice with the same input',
    });
  });

  it("compares the input as canonical JSON: another key order is the same call", () => {
    const reordered = { new_string: EDIT.new_string, file_path: EDIT.file_path, old_string: EDIT.old_string };
    expect(detectStall([user("make a 2"), ...failedEdit(), ...failedEdit(reordered)])?.kind).toBe("failing-call");
  });

  it("is none after one failure", () => {
    expect(detectStall([user("make a 2"), ...readA(), ...failedEdit()])).toBeUndefined();
  });

  it("is none when the second try changed the input", () => {
    expect(detectStall([user("make a 2"), ...failedEdit(), ...failedEdit({ ...EDIT, old_string: "const a = 3;" })])).toBeUndefined();
  });

  it("is none with a success in between, or when the same call succeeded the second time", () => {
    expect(detectStall([user("make a 2"), ...failedEdit(), ...readA(), ...failedEdit()])).toBeUndefined();
    expect(detectStall([user("make a 2"), ...failedEdit(), ...round("Edit", EDIT, { content: "The file src/a.ts has been updated." })])).toBeUndefined();
  });

  it("starts afresh at the user's own words, not at Claude Code's reminders", () => {
    expect(detectStall([user("make a 2"), ...failedEdit(), user("try again"), ...failedEdit()])).toBeUndefined();
    // A tool result carrying only a reminder is still the model's round trip.
    const [assistant, result] = failedEdit();
    const reminded = { ...result!, content: [...(result!.content as AnthropicContentBlock[]), REMINDER] };
    expect(detectStall([user("make a 2"), ...failedEdit(), assistant!, reminded])?.kind).toBe("failing-call");
  });

  it("finds the failed call among parallel calls, and skips Claude Code's role:system message", () => {
    const both = (): AnthropicMessageParam[] => {
      const [read, edit] = [`toolu_${++ids}`, `toolu_${++ids}`];
      return [
        {
          role: "assistant",
          content: [
            { type: "tool_use", id: read, name: "Read", input: { file_path: "/r/b.ts" } },
            { type: "tool_use", id: edit, name: "Edit", input: EDIT },
          ],
        },
        {
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: read, content: "ok" },
            { type: "tool_result", tool_use_id: edit, content: NOT_FOUND, is_error: true },
          ],
        },
      ];
    };
    const system: AnthropicMessageParam = { role: "system", content: "Available agent types: …" };
    expect(detectStall([user("make a 2"), system, ...both(), ...both()])?.detail).toBe("Edit on src/a.ts failed twice with the same input");
  });
});

describe("detectStall: no progress", () => {
  it("is the same call in each of the last 3 turns, whatever the results", () => {
    expect(detectStall([user("what is a?"), ...readA(), ...readA()])).toBeUndefined();
    expect(detectStall([user("what is a?"), ...readA(), ...readA(), ...readA()])).toEqual({
      kind: "no-progress",
      detail: "Read on src/a.ts repeated with the same input 3 turns in a row",
    });
  });

  it("is the same text 3 times in a row over calls that all failed, not over calls that got somewhere", () => {
    const look = (file: string, error: boolean) =>
      round("Read", { file_path: file }, { content: error ? "File does not exist." : "1\tok", error }, "Let me check the file.");
    expect(detectStall([user("what is a?"), ...look("/r/a.ts", true), ...look("/r/b.ts", true)])).toBeUndefined();
    expect(detectStall([user("what is a?"), ...look("/r/a.ts", true), ...look("/r/b.ts", true), ...look("/r/c.ts", true)])).toEqual({
      kind: "no-progress",
      detail: 'the same text 3 turns in a row ("Let me check the file."), its calls failing',
    });
    expect(detectStall([user("what is a?"), ...look("/r/a.ts", false), ...look("/r/b.ts", false), ...look("/r/c.ts", false)])).toBeUndefined();
    const said: AnthropicMessageParam = { role: "assistant", content: "Working on it." };
    const reminded: AnthropicMessageParam = { role: "user", content: [REMINDER] };
    expect(detectStall([user("go"), said, reminded, said, reminded, said])).toEqual({
      kind: "no-progress",
      detail: 'the same text 3 turns in a row ("Working on it.")',
    });
  });

  it("is none when the turns differ, or a user message came between", () => {
    const other = round("Read", { file_path: "/home/dev/repo/src/b.ts" }, { content: "x" });
    expect(detectStall([user("go"), ...readA(), ...other, ...readA()])).toBeUndefined();
    expect(detectStall([user("go"), ...readA(), user("again"), ...readA(), ...readA()])).toBeUndefined();
  });
});

describe("detectStall: cost", () => {
  /** The messages, with every one but the last `readable` throwing when read: the detector must not look there. */
  function guarded(messages: AnthropicMessageParam[], readable: number): AnthropicMessageParam[] {
    return new Proxy(messages, {
      get(target, key, receiver) {
        if (typeof key === "string" && /^\d+$/.test(key) && Number(key) < target.length - readable) throw new Error(`message ${key} was read`);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
  }

  it("reads only the last turns of a long history, even a long run of tool round trips with no user words", () => {
    const history: AnthropicMessageParam[] = [user("refactor everything")];
    for (let i = 0; i < 5_000; i++) history.push(...round("Read", { file_path: `/r/f${i}.ts` }, { content: `file ${i}` }));
    expect(detectStall(guarded([...history, ...failedEdit(), ...failedEdit()], 6))?.kind).toBe("failing-call");
    expect(detectStall(guarded(history, 6))).toBeUndefined();
  });
});

describe("describeRequest", () => {
  it("gives the stall on a tool round trip, none on the user's own turn", () => {
    const messages = [user("make a 2"), ...failedEdit(), ...failedEdit()];
    expect(describeRequest({ model: "m", max_tokens: 1, messages }).stall).toEqual({
      kind: "failing-call",
      detail: "Edit on src/a.ts failed twice with the same input",
    });
    expect(
      describeRequest({ model: "m", max_tokens: 1, messages: [...messages, { role: "assistant", content: "The edit keeps failing." }, user("use sed")] }).stall,
    ).toBeUndefined();
  });
});
