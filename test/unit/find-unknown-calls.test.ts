import { describe, expect, it } from "vitest";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import type { AnthropicCustomTool, AnthropicOutputBlock } from "../../src/translate/anthropic-types.js";
import { convertOpenAIResponse } from "../../src/translate/convert-openai-response.js";
import { findUnknownCalls } from "../../src/translate/tool-calls/find-unknown-calls.js";
import { formatInvalidCallNote } from "../../src/translate/tool-calls/resolve-tool-call.js";
import { baseOptions, createTestDeps } from "../helpers/translate-helpers.js";

const tool = (name: string): AnthropicCustomTool => ({ name, input_schema: { type: "object", properties: { file_path: { type: "string" } } } });
/** The six tools issue 48's request offered natively. */
const TOOLS = ["Bash", "Edit", "Glob", "Grep", "Read", "Write"].map(tool);
const text = (...texts: string[]): AnthropicOutputBlock[] => texts.map((t) => ({ type: "text", text: t }));

/** What Qwen2.5-Coder-1.5B answered 5 times of 5 to "Implement `to_roman` in roman.py as its docstring says.". */
const TO_ROMAN = '```json\n{\n  "name": "to_roman",\n  "arguments": {"number": 19}\n}\n```';

describe("findUnknownCalls: calls to tools the request does not offer, in an answer's text", () => {
  it.each([
    ["fenced ```json", TO_ROMAN],
    ["fenced without a label", '```\n{"name": "to_roman", "arguments": {"number": 19}}\n```'],
    ["bare, after a sentence", 'I will convert the number.\n{"name": "to_roman", "arguments": {"number": 19}}'],
    ["bare, mid-sentence with prose after", 'Calling {"name": "to_roman", "parameters": {"number": 19}} now, then I am done.'],
    ["in a family's markup", '<tool_call>\n{"name": "to_roman", "arguments": {"number": 19}}\n</tool_call>'],
    ["in a list", '[{"name": "to_roman", "arguments": {"number": 19}}]'],
    ["in OpenAI's shape", '{"type": "function", "function": {"name": "to_roman", "arguments": {"number": 19}}}'],
    ["with llama 3's type and an id", '{"type": "function", "id": "call_1", "name": "to_roman", "parameters": {"number": 19}}'],
    ["as tool_call fence", '```tool_call\n{"name": "to_roman", "arguments": {}}\n```'],
  ])("%s: detected with its name", (_, answer) => {
    expect(findUnknownCalls(text(answer), TOOLS)).toEqual(["to_roman"]);
  });

  it("names each unknown tool once, in the order written, across blocks", () => {
    const calls = text(
      '{"name": "node tools/fingerprint.js", "arguments": {}}\n{"name": "Create", "arguments": {"path": "a"}}',
      '{"name": "Create", "arguments": {"path": "b"}}',
    );
    expect(findUnknownCalls(calls, TOOLS)).toEqual(["node tools/fingerprint.js", "Create"]);
  });

  it("reads the note of a call in markup or a native one whose tool does not exist, by its reason", () => {
    const note = formatInvalidCallNote('Tool "to_roman" does not exist; the available tools are Bash, Edit', 'to_roman {"number":19}');
    expect(findUnknownCalls(text("Here it is.", note), TOOLS)).toEqual(["to_roman"]);
    // A note for another reason is a call to a tool that exists, with its arguments wrong: not this check's.
    const bad = formatInvalidCallNote('Tool call to "Read" is missing required property "file_path"', '{"name": "read_file", "arguments": {}}');
    expect(findUnknownCalls(text(bad), TOOLS)).toEqual([]);
  });

  it("reads the note the translator makes of a hermes call to a tool that does not exist", () => {
    const content = convertOpenAIResponse(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [
          {
            index: 0,
            finish_reason: "stop",
            message: { role: "assistant", content: '<tool_call>\n{"name": "to_roman", "arguments": {"number": 19}}\n</tool_call>' },
          },
        ],
        usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
      },
      { model: "m", tools: TOOLS, options: baseOptions, deps: createTestDeps(), schemaCache: createToolSchemaCache() },
    ).content;
    expect(content.some((block) => block.type === "tool_use")).toBe(false);
    expect(findUnknownCalls(content, TOOLS)).toEqual(["to_roman"]);
  });

  it.each([
    ["a known tool", '```json\n{"name": "Read", "arguments": {"file_path": "roman.py"}}\n```'],
    ["a known tool in another case, or OpenAI's prefix", '{"name": "read", "arguments": {}} {"name": "functions.Bash", "arguments": {}}'],
    ["prose", "The function converts 19 to XIX: ten, then nine as one before ten."],
    ["prose with braces", "Use {name} as a placeholder, and {} for an empty dict."],
    ["a Python code block", '```python\ndef to_roman(number):\n    values = {"M": 1000, "D": 500}\n    return "".join(...)\n\nprint(to_roman(19))\n```'],
    ["a JS code block, even one that builds a call", '```js\nconst call = {"name": "to_roman", "arguments": {"n": 19}};\nsend(call);\n```'],
    ["a package.json", '```json\n{"name": "roman", "version": "1.0.0", "scripts": {"test": "node test.js"}}\n```'],
    ["a tool's definition, with its description", '{"name": "to_roman", "description": "Converts.", "parameters": {"type": "object"}}'],
    ["a call-shaped object without arguments", '{"name": "to_roman"}'],
    ["arguments that are not an object", '{"name": "to_roman", "arguments": "{\\"number\\": 19}"}'],
    ["JSON cut off", '```json\n{"name": "to_roman", "arguments": {"number": 1'],
  ])("%s: not detected", (_, answer) => {
    expect(findUnknownCalls(text(answer), TOOLS)).toEqual([]);
  });

  it("reads only text: a tool_use or thinking block is not looked at", () => {
    const content: AnthropicOutputBlock[] = [
      { type: "thinking", thinking: '{"name": "to_roman", "arguments": {}}', signature: "" },
      { type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "roman.py" } },
    ];
    expect(findUnknownCalls(content, TOOLS)).toEqual([]);
  });

  it("reads a bounded number of characters, however many braces never close, so a pathological answer costs little", () => {
    const call = '{"name": "to_roman", "arguments": {}}';
    const braces = "{".repeat(200_000);
    const started = performance.now();
    expect(findUnknownCalls(text(`${call}\n${braces}`), TOOLS)).toEqual(["to_roman"]);
    // Each unclosed brace is read again from the next one, up to MAX_SCANNED_CHARS in all: a call past that is not looked for.
    expect(findUnknownCalls(text(`${braces}\n${call}`), TOOLS)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
    // Within the bound, a call after a brace that never closes is found.
    expect(findUnknownCalls(text(`{ oops\n${call}`), TOOLS)).toEqual(["to_roman"]);
  });
});
