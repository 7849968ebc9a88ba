// What the system and tools templates are rendered with: the profile's facts, the tools' parameters,
// and the worked example of one tool call in the model's own format.
import { type ExampleFormat, exampleFormatOf, isExampleFormat, type CompiledProfile } from "../../compile/routing-table.js";
import { renderXmlToolCall, renderXmlToolResult } from "../../translate/tool-calls/render-xml-tool-call.js";
import { templateHelpers } from "../../compile/template-helpers.js";
import type { AnthropicCustomTool } from "../../translate/anthropic-types.js";

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

/** What a `tools` template receives (template-contexts.ts, kind "tools"). */
export interface ToolsTemplateContext {
  tools: Array<{
    name: string;
    description: string;
    /** The input schema as JSON with sorted keys. */
    input_schema_json: string;
    parameters: ToolParameter[];
  }>;
  /** The text tool-call format the model's calls are parsed with (mallex-xml unless the profile names one). */
  format: string;
}

export interface ToolParameter {
  name: string;
  /** string, integer, boolean, "array of string", "string or null"… */
  type: string;
  description: string;
  required: boolean;
  /** The allowed values as text; empty when any value of the type goes. */
  enum_values: string[];
}

/** What a `system` template receives (template-contexts.ts, kind "system"). */
export interface SystemTemplateContext {
  model: { name: string; id: string; size: string; params_b: number | undefined };
  /** Keep-rule id → the text it found; rules that found nothing are absent. */
  sections: Record<string, string>;
  tools: Array<{ name: string; description: string }>;
  tool_mode: "native" | "xml";
  /** The rendered tools template in xml tool mode, else "". */
  tools_prompt: string;
  /** One call, its result and the answer after it in the model's format (tools.worked_example), else "". */
  tool_example: string;
  /** What the user wrote into the system prompt (findUserSystemText), its passages joined by blank lines; "" when nothing. */
  user_instructions: string;
  /**
   * The user's own system prompt where it takes the place of Claude Code's (`claude --system-prompt`,
   * a custom subagent's prompt: replacedPromptStart), else "": a template puts it in place of its own
   * opening, and `user_instructions` then holds the user's other passages.
   */
  user_system_prompt: string;
}

export function buildToolsTemplateContext(tools: readonly AnthropicCustomTool[], format: string): ToolsTemplateContext {
  return {
    tools: tools.map((tool) => ({
      name: tool.name,
      description: tool.description ?? "",
      input_schema_json: templateHelpers.json(tool.input_schema),
      parameters: describeParameters(tool.input_schema),
    })),
    format,
  };
}

export function buildSystemTemplateContext(
  profile: CompiledProfile,
  sections: Record<string, string>,
  tools: readonly AnthropicCustomTool[],
  toolsPrompt: string,
  userInstructions = "",
  userSystemPrompt = "",
): SystemTemplateContext {
  return {
    model: { name: profile.name, id: profile.model, size: profile.size, params_b: profile.paramsB },
    sections,
    tools: tools.map((tool) => ({ name: tool.name, description: tool.description ?? "" })),
    tool_mode: profile.toolMode,
    tools_prompt: toolsPrompt,
    tool_example: workedExample(profile, tools),
    user_instructions: userInstructions,
    user_system_prompt: userSystemPrompt,
  };
}

function workedExample(profile: CompiledProfile, tools: readonly AnthropicCustomTool[]): string {
  if (profile.workedExample !== true) return "";
  const format = exampleFormatOf(profile.toolMode, profile.toolFormat);
  // check-worked-example.ts holds a profile to a format an example is written in.
  return isExampleFormat(format) ? (toolCallExample(format, tools) ?? "") : "";
}

/** One entry per top-level property, in schema order. */
function describeParameters(schema: Record<string, unknown>): ToolParameter[] {
  const properties = asRecord(schema.properties);
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).map(([name, value]) => {
    const property = asRecord(value);
    return {
      name,
      type: typeLabel(property),
      description: typeof property.description === "string" ? property.description : "",
      required: required.includes(name),
      enum_values: Array.isArray(property.enum) ? property.enum.map((v) => (typeof v === "string" ? v : JSON.stringify(v))) : [],
    };
  });
}

function typeLabel(schema: Record<string, unknown>): string {
  const type = schema.type;
  if (typeof type === "string") {
    if (type !== "array") return type;
    const items = asRecord(schema.items);
    return Object.keys(items).length > 0 ? `array of ${typeLabel(items)}` : "array";
  }
  if (Array.isArray(type)) return type.map(String).join(" or ");
  const variants = Array.isArray(schema.anyOf) ? schema.anyOf : Array.isArray(schema.oneOf) ? schema.oneOf : undefined;
  if (variants !== undefined) return [...new Set(variants.map((v) => typeLabel(asRecord(v))))].join(" or ");
  if (Array.isArray(schema.enum)) return [...new Set(schema.enum.map((v) => (v === null ? "null" : typeof v)))].join(" or ");
  if ("const" in schema) return schema.const === null ? "null" : typeof schema.const;
  return "any";
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
