import { describe, expect, it } from "vitest";
import { createToolCallParser } from "../../src/tools/parsers/index.js";
import { EXAMPLE_FORMATS } from "../../src/compile/routing-table.js";
import { toolCallExample } from "../../src/trim/system-prompt/build-template-contexts.js";

const tool = (name: string, ...parameters: string[]) => ({
  name,
  input_schema: { type: "object", properties: Object.fromEntries(parameters.map((p) => [p, { type: "string" }])) },
});
const CLAUDE_CODE = [tool("Bash", "command"), tool("Read", "file_path"), tool("Write", "file_path", "content")];

/** The example's call as the model would write it: the lines between "answer with only this call:" and the result. */
function writtenCall(example: string): string {
  const lines = example.split("\n");
  return lines.slice(lines.findIndex((l) => l.endsWith("this call:")) + 1, lines.indexOf("Its result comes back in the next message:")).join("\n");
}

function parse(format: (typeof EXAMPLE_FORMATS)[number], text: string) {
  const parser = createToolCallParser(format, { toolNames: ["Bash", "Read", "Write"] });
  return [...parser.feed(text), ...parser.end()].filter((event) => event.type !== "text");
}

describe("toolCallExample", () => {
  it.each(EXAMPLE_FORMATS)("writes a call the %s parser reads back as the Read it shows", (format) => {
    const example = toolCallExample(format, CLAUDE_CODE)!;
    const events = parse(format, writtenCall(example));
    expect(events).toMatchObject([{ type: "tool_call", call: { name: "Read", arguments: { file_path: "/tmp/example/hello.py" } } }]);
  });

  it("shows the result as the family's template does and the answer after it", () => {
    expect(toolCallExample("hermes", CLAUDE_CODE)).toBe(
      [
        "# An example of one call",
        "",
        "Asked what /tmp/example/hello.py prints, you answer with only this call:",
        "<tool_call>",
        '{"name": "Read", "arguments": {"file_path": "/tmp/example/hello.py"}}',
        "</tool_call>",
        "Its result comes back in the next message:",
        "<tool_response>",
        'print("hello")',
        "</tool_response>",
        "Then you answer: It prints hello.",
      ].join("\n"),
    );
    expect(toolCallExample("mallex-xml", CLAUDE_CODE)).toContain('<tool_result name="Read" tool_use_id="toolu_example">\nprint("hello")\n</tool_result>');
  });

  it("shows a Bash call where no Read takes a file_path, and nothing where neither is offered", () => {
    const bash = toolCallExample("qwen3-coder", [tool("Read", "path"), tool("Bash", "command")])!;
    expect(parse("qwen3-coder", writtenCall(bash))).toMatchObject([{ type: "tool_call", call: { name: "Bash", arguments: { command: "python3 --version" } } }]);
    expect(toolCallExample("hermes", [tool("Read", "path"), tool("Grep", "pattern")])).toBeUndefined();
    expect(toolCallExample("hermes", [])).toBeUndefined();
  });
});
