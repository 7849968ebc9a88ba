/**
 * Kimi K2: <|tool_calls_section_begin|><|tool_call_begin|>functions.NAME:0<|tool_call_argument_begin|>{…}
 * <|tool_call_end|><|tool_calls_section_end|>. The call id carries the name between `functions.` and
 * the `:index` suffix; the singular `tool_call_section` spelling also occurs (vLLM accepts both).
 */
import { invalidCall, jsonArgumentsCall } from "./internal/build-call-events.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { NAME, SPACE } from "./internal/match-head.js";
import { mapTaggedCalls, readTaggedParts } from "./internal/read-tagged-parts.js";
import type { TagSyntax } from "./internal/read-tagged-parts.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const SECTION_HEAD = [[SPACE, "<|tool_call_begin|>"]];
const SECTIONS: readonly CallBlock[] = [
  { start: "<|tool_calls_section_begin|>", end: "<|tool_calls_section_end|>", head: SECTION_HEAD },
  { start: "<|tool_call_section_begin|>", end: "<|tool_call_section_end|>", head: SECTION_HEAD },
];
// A call written without its section, which the chat template never does but models sometimes do.
const LONE_CALL: CallBlock = {
  start: "<|tool_call_begin|>",
  end: "<|tool_call_end|>",
  head: [[SPACE, NAME, SPACE, "<|tool_call_argument_begin|>"]],
};
const CALL: TagSyntax = {
  open: /<\|tool_call_begin\|>/,
  close: "<|tool_call_end|>",
  next: "<|tool_call_begin|>",
};
const ARGUMENTS = "<|tool_call_argument_begin|>";

/** `functions.get_weather:0` → `get_weather`. */
const nameFromId = (id: string): string =>
  id
    .trim()
    .replace(/^functions\./, "")
    .replace(/:\d+$/, "");

function readCall(value: string, raw: string): ToolParseEvent {
  const argumentsAt = value.indexOf(ARGUMENTS);
  if (argumentsAt === -1) return invalidCall(raw, "the tool call has no arguments marker");
  return jsonArgumentsCall(nameFromId(value.slice(0, argumentsAt)), value.slice(argumentsAt + ARGUMENTS.length), raw);
}

function parseKimi(scanned: ScannedBlock): ToolParseEvent[] {
  const calls = readTaggedParts(scanned.block === LONE_CALL ? scanned.raw : scanned.body, CALL);
  return mapTaggedCalls(calls, { raw: scanned.raw, strayIsText: scanned.block === LONE_CALL }, (part, raw) => readCall(part.value, raw));
}

export const kimiK2Spec: FamilySpec = {
  blocks: [...SECTIONS, LONE_CALL],
  parse: parseKimi,
  callShaped: alwaysShaped,
};

export function createKimiK2Parser(): ToolCallTextParser {
  return createMarkerScanner(kimiK2Spec);
}
