import { checkToolCall, type ToolSchemaCache } from "../../tools/check-tool-call.js";
import type { ParsedToolCall } from "../../tools/parsers/types.js";
import type { AnthropicCustomTool, AnthropicTool } from "../anthropic-types.js";
import type { TranslateDeps } from "../translate-options.js";
import { describeCallRepairs } from "./describe-call-repairs.js";

/** A model's tool call after checking: a tool_use block to emit, or a note to show as text. */
export type ResolvedToolCall =
  /** repairs: what mallex fixed for the call to run (describeCallRepairs); absent: it ran as written. */
  { type: "tool_use"; id: string; name: string; input: Record<string, unknown>; repairs?: string[] } | { type: "invalid"; note: string };

/**
 * Checks a call parsed from text (or rebuilt from a native call) against the request's tools.
 * An invalid call is never emitted as tool_use: Claude Code would run it or fail on it. It becomes
 * a visible note instead, so the user (and the model, on the next turn) sees what went wrong.
 */
export function resolveToolCall(
  call: ParsedToolCall,
  tools: readonly AnthropicCustomTool[],
  deps: TranslateDeps,
  schemaCache: ToolSchemaCache,
): ResolvedToolCall {
  // The default name aliases apply (read_file → Read…): models trained on other agents use them.
  const checked = checkToolCall(call, tools, undefined, schemaCache);
  if (!checked.ok) return { type: "invalid", note: formatInvalidCallNote(checked.reason, call.raw) };
  const repairs = describeCallRepairs(call, checked.name, checked.input);
  return { type: "tool_use", id: deps.generateId("toolu"), name: checked.name, input: checked.input, ...(repairs.length > 0 ? { repairs } : {}) };
}

/**
 * A native OpenAI tool call (arguments as a JSON string). Empty arguments mean a call without
 * input: some servers send `""` for a tool that takes no parameters.
 */
export function resolveNativeToolCall(
  name: string | undefined,
  argumentsText: string,
  tools: readonly AnthropicCustomTool[],
  deps: TranslateDeps,
  schemaCache: ToolSchemaCache,
): ResolvedToolCall {
  const raw = `${name ?? "(no name)"} ${argumentsText}`.trimEnd();
  if (name === undefined || name.trim() === "") {
    return { type: "invalid", note: formatInvalidCallNote("the tool call has no tool name", raw) };
  }
  const args = parseArgumentsObject(argumentsText);
  if (args === undefined) {
    return {
      type: "invalid",
      note: formatInvalidCallNote("its arguments are not a JSON object", raw),
    };
  }
  return resolveToolCall({ name, arguments: args, untyped: false, raw }, tools, deps, schemaCache);
}

const NOTE_PREFIX = "[mallex: the model wrote a tool call that was not run: ";

/** The note that replaces an invalid call. Plain text: it is what Claude Code shows. */
export function formatInvalidCallNote(reason: string, raw: string): string {
  return `${NOTE_PREFIX}${reason}]\n${raw}`;
}

/** The reasons of the notes {@link formatInvalidCallNote} wrote into a text block. */
export function readInvalidCallReasons(text: string): string[] {
  const reasons: string[] = [];
  for (let at = text.indexOf(NOTE_PREFIX); at !== -1; at = text.indexOf(NOTE_PREFIX, at + 1)) {
    const end = text.indexOf("]\n", at);
    reasons.push(text.slice(at + NOTE_PREFIX.length, end === -1 ? undefined : end));
  }
  return reasons;
}

/** The request's tools that can run locally; server tools (web search…) cannot be called here. */
export function customTools(tools: readonly AnthropicTool[] | undefined): AnthropicCustomTool[] {
  return (tools ?? []).filter(isCustomTool);
}

export function isCustomTool(tool: AnthropicTool): tool is AnthropicCustomTool {
  return (tool.type === undefined || tool.type === "custom") && typeof (tool as { input_schema?: unknown }).input_schema === "object";
}

/** The parsed object, or undefined when the text is not JSON for an object. */
export function parseArgumentsObject(text: string): Record<string, unknown> | undefined {
  if (text.trim() === "") return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
