/**
 * A worked example of one tool call, its result and the answer after it, written in the format the
 * model writes calls in (`tools.worked_example`): Qwen2.5's chat template describes its
 * `<tool_call>` JSON but shows no call. What it changed for the kit's small coders, with the shipped
 * levers (little: mallex makes most of their calls), is in docs/eval.md. Pure.
 */
import type { ExampleFormat } from "../../compile/routing-table.js";
import { renderXmlToolCall, renderXmlToolResult } from "../../translate/tool-calls/render-xml-tool-call.js";

interface ExampleCall {
  question: string;
  name: string;
  input: Record<string, string>;
  result: string;
  answer: string;
}

// A file and a command no project has, so that the example is never taken for part of the task.
const READ_EXAMPLE: ExampleCall = {
  question: "what /tmp/example/hello.py prints",
  name: "Read",
  input: { file_path: "/tmp/example/hello.py" },
  result: 'print("hello")',
  answer: "It prints hello.",
};

const BASH_EXAMPLE: ExampleCall = {
  question: "which Python version is installed",
  name: "Bash",
  input: { command: "python3 --version" },
  result: "Python 3.12.3",
  answer: "Python 3.12.3 is installed.",
};

/**
 * The example for the tools offered: a Read where Read takes a `file_path`, else a Bash where Bash
 * takes a `command` (Claude Code's tools); undefined where neither is offered.
 */
export function toolCallExample(format: ExampleFormat, tools: readonly { name: string; input_schema: Record<string, unknown> }[]): string | undefined {
  const takes = (name: string, parameter: string) =>
    tools.some((tool) => tool.name === name && Object.hasOwn((tool.input_schema.properties ?? {}) as object, parameter));
  const example = takes("Read", "file_path") ? READ_EXAMPLE : takes("Bash", "command") ? BASH_EXAMPLE : undefined;
  if (example === undefined) return undefined;
  return [
    "# An example of one call",
    "",
    `Asked ${example.question}, you answer with only this call:`,
    writeCall(format, example),
    "Its result comes back in the next message:",
    writeResult(format, example),
    `Then you answer: ${example.answer}`,
  ].join("\n");
}

function writeCall(format: ExampleFormat, example: ExampleCall): string {
  switch (format) {
    case "hermes":
      return `<tool_call>\n{"name": ${JSON.stringify(example.name)}, "arguments": ${spacedJson(example.input)}}\n</tool_call>`;
    case "qwen3-coder": {
      const parameters = Object.entries(example.input).map(([key, value]) => `<parameter=${key}>\n${value}\n</parameter>`);
      return ["<tool_call>", `<function=${example.name}>`, ...parameters, "</function>", "</tool_call>"].join("\n");
    }
    case "mallex-xml":
      return renderXmlToolCall(example.name, example.input);
  }
}

/** JSON spaced as the templates' `tojson` writes it (`{"file_path": "…"}`), the way the model saw its calls in training. */
function spacedJson(input: Record<string, string>): string {
  return `{${Object.entries(input)
    .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
    .join(", ")}}`;
}

/** The result as the family's chat template shows a tool's message (Qwen's `<tool_response>`), or as xml mode renders it. */
function writeResult(format: ExampleFormat, example: ExampleCall): string {
  return format === "mallex-xml" ? renderXmlToolResult("toolu_example", example.name, example.result) : `<tool_response>\n${example.result}\n</tool_response>`;
}
