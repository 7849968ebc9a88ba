/**
 * Builders for the events every format emits, with the JSON reading they share. JSON is repaired
 * before it is refused (trailing commas, Python literals, arguments double-encoded as a string, and
 * the closers of a call cut off at the end of the output), but never by inventing content.
 */
import { parseLenientJson } from "../../internal/parse-lenient-json.js";
import type { ToolParseEvent } from "../types.js";
import { closeTruncatedJson } from "./close-truncated-json.js";
import { stripJsonFence } from "./strip-json-fence.js";

export const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export const invalidCall = (raw: string, reason: string): ToolParseEvent => ({
  type: "invalid_call",
  raw,
  reason,
});

export function toolCall(name: string, args: Record<string, unknown>, untyped: boolean, raw: string, repaired?: string): ToolParseEvent {
  const trimmed = name.trim();
  if (trimmed === "") return invalidCall(raw, "the tool call has no tool name");
  return { type: "tool_call", call: { name: trimmed, arguments: args, untyped, raw, ...(repaired !== undefined ? { repaired } : {}) } };
}

/**
 * JSON.parse that reports failure as a value (parsers must never throw), falling back to the Python
 * literal style small models slip into (`'single quotes'`, `True`, `None`, trailing commas).
 */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  return parseLenientJson(text);
}

/** How the text being read ended: `cutOff` when the output stopped inside the call (no end marker). */
export interface JsonReadOptions {
  readonly cutOff?: boolean;
}

type CallJson = { ok: true; value: unknown; repaired?: string } | { ok: false };

/**
 * Parses `text`, and when the output was cut off, the same text with only its closers added.
 * `repaired` says what it took beyond JSON.parse (the request's counters of repaired calls read it).
 */
function parseCallJson(text: string, options: JsonReadOptions): CallJson {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    // repaired below, or refused
  }
  const parsed = parseJson(text);
  if (parsed.ok) return { ...parsed, repaired: "JSON repaired" };
  if (options.cutOff !== true) return parsed;
  const closed = closeTruncatedJson(text);
  const reparsed = closed === null ? parsed : parseJson(closed);
  return reparsed.ok ? { ...reparsed, repaired: "JSON cut off, closed" } : reparsed;
}

/**
 * Arguments as models write them: an object, an object encoded as a JSON string (OpenAI style,
 * which several fine-tunes imitate), or nothing for a call that takes no input.
 */
function readArguments(value: unknown): Record<string, unknown> | null {
  if (value === undefined || value === null) return {};
  if (isRecord(value)) return value;
  if (typeof value !== "string") return null;
  if (value.trim() === "") return {};
  const parsed = parseJson(value);
  if (parsed.ok && typeof parsed.value === "string") return readArguments(parsed.value);
  return parsed.ok && isRecord(parsed.value) ? parsed.value : null;
}

/** A call written as a name plus JSON arguments text (Kimi, DeepSeek, Mistral v11). */
export function jsonArgumentsCall(name: string, argumentsText: string, raw: string, options: JsonReadOptions = {}): ToolParseEvent {
  const text = argumentsText.trim();
  if (text === "") return toolCall(name, {}, false, raw);
  const parsed = parseCallJson(text, options);
  if (!parsed.ok) return invalidCall(raw, "the tool call's arguments are not valid JSON");
  const args = readArguments(parsed.value);
  if (args === null) return invalidCall(raw, "the tool call's arguments are not a JSON object");
  return toolCall(name, args, false, raw, parsed.repaired);
}

/**
 * A call written as one JSON object: `{"name", "arguments" | "parameters"}`, also nested as
 * `{"function": {…}}` the way some fine-tunes copy OpenAI's message shape.
 */
export function jsonObjectCall(value: unknown, raw: string, repaired?: string): ToolParseEvent {
  const call = isRecord(value) && isRecord(value["function"]) ? value["function"] : value;
  // Command R writes `tool_name`; everyone else `name`.
  const name = isRecord(call) ? (call["name"] ?? call["tool_name"]) : undefined;
  if (!isRecord(call) || typeof name !== "string") {
    return invalidCall(raw, "the tool call is not a JSON object with a name");
  }
  const args = readArguments(call["arguments"] ?? call["parameters"]);
  if (args === null) return invalidCall(raw, "the tool call's arguments are not a JSON object");
  return toolCall(name, args, false, raw, repaired);
}

/** One or several calls from JSON text holding an object or an array of objects. */
export function jsonCalls(text: string, raw: string, options: JsonReadOptions = {}): ToolParseEvent[] {
  const parsed = parseCallJson(stripJsonFence(text).trim(), options);
  if (!parsed.ok) return [invalidCall(raw, "the tool call is not valid JSON")];
  if (!Array.isArray(parsed.value)) return [jsonObjectCall(parsed.value, raw, parsed.repaired)];
  if (parsed.value.length === 0) return [invalidCall(raw, "the tool call list is empty")];
  return parsed.value.map((item) => jsonObjectCall(item, raw, parsed.repaired));
}
