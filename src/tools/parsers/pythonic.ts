/**
 * Python call syntax: `[get_weather(city="Paris"), other(x=[1, 2])]`. Llama 3.2 and Llama 4 write it
 * as their whole output (Llama 4 sometimes inside `<|python_start|>…<|python_end|>`); LFM2 wraps it
 * in `<|tool_call_start|>…<|tool_call_end|>` and may put a JSON list there instead. Without markers,
 * only a clean list of calls that is the whole output counts (as in vLLM's pythonic parser): a reply
 * that merely opens with `[` stays text.
 */
import { invalidCall, jsonCalls, toolCall } from "./internal/build-call-events.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { readPythonCalls } from "./internal/read-python-calls.js";
import { JSON_HEAD, SPACE, type HeadAlternatives } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const CALL_HEAD: HeadAlternatives = [[SPACE, /[A-Za-z_][\w.-]*/y, SPACE, "("]];
const BARE: CallBlock = { start: "[", end: null, atOutputStart: true, head: CALL_HEAD };
const LIST_HEAD: HeadAlternatives = [...JSON_HEAD, ...CALL_HEAD];
const LLAMA4: CallBlock = { start: "<|python_start|>", end: "<|python_end|>", head: LIST_HEAD };
const LFM2: CallBlock = { start: "<|tool_call_start|>", end: "<|tool_call_end|>", head: LIST_HEAD };

/** `[name(` followed by a keyword argument or `)`: a call, even if a broken one, not a Markdown link. */
export const PYTHONIC_HEAD = /^\[\s*[A-Za-z_][\w.-]*\(\s*(?:\)|[A-Za-z_]\w*\s*=)/;

function parsePythonic(scanned: ScannedBlock): ToolParseEvent[] {
  const { block, body, raw } = scanned;
  const trimmed = body.trim();
  if (block === LFM2 && (trimmed.startsWith("[{") || trimmed.startsWith("{"))) return jsonCalls(trimmed, raw, { cutOff: !scanned.terminated });
  const list = block === BARE ? raw : body;
  const bracketed = block === BARE || trimmed.startsWith("[");
  const read = readPythonCalls(list, 0, bracketed);
  const clean = read.ok && list.slice(read.end).trim() === "";
  if (block === BARE && !clean && !(PYTHONIC_HEAD.test(raw) && !read.ok)) return [{ type: "text", text: raw }];
  if (!read.ok) return [invalidCall(raw, read.reason)];
  if (!clean) return [invalidCall(raw, "the tool call list is followed by other text")];
  return read.calls.map((call) => toolCall(call.name, call.args, false, raw));
}

export const pythonicSpec: FamilySpec = {
  blocks: [BARE, LLAMA4, LFM2],
  parse: parsePythonic,
  callShaped: alwaysShaped,
};

export function createPythonicParser(): ToolCallTextParser {
  return createMarkerScanner(pythonicSpec);
}
