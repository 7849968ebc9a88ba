/**
 * DeepSeek V3 / R1-0528:
 *   <｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME\n```json\n{…}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>
 * DeepSeek V3.1: <｜tool▁call▁begin｜>NAME<｜tool▁sep｜>{…}<｜tool▁call▁end｜> inside the same section.
 * The bars are full-width (U+FF5C) and the spaces are U+2581, as in the tokenizer's special tokens.
 */
import { invalidCall, jsonArgumentsCall } from "./internal/build-call-events.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { mapTaggedCalls, readTaggedParts } from "./internal/read-tagged-parts.js";
import type { TagSyntax } from "./internal/read-tagged-parts.js";
import { NAME, SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const SECTION: CallBlock = {
  start: "<｜tool▁calls▁begin｜>",
  end: "<｜tool▁calls▁end｜>",
  head: [[SPACE, "<｜tool▁call▁begin｜>"]],
};
// Models sometimes skip the section marker and open a call directly.
const LONE_CALL: CallBlock = {
  start: "<｜tool▁call▁begin｜>",
  end: "<｜tool▁call▁end｜>",
  head: [[SPACE, NAME, SPACE, "<｜tool▁sep｜>"]],
};
const CALL: TagSyntax = { open: /<｜tool▁call▁begin｜>/, close: LONE_CALL.end ?? "", next: LONE_CALL.start };
const SEPARATOR = "<｜tool▁sep｜>";

/** Drops a Markdown code fence around the arguments (```json … ```), closed or not. */
function stripFence(text: string): string {
  let inner = text.trim();
  if (inner.startsWith("```")) {
    const newline = inner.indexOf("\n");
    inner = newline === -1 ? "" : inner.slice(newline + 1);
  }
  inner = inner.trimEnd();
  return inner.endsWith("```") ? inner.slice(0, -3) : inner;
}

function readCall(value: string, raw: string): ToolParseEvent {
  const separatorAt = value.indexOf(SEPARATOR);
  if (separatorAt === -1) return invalidCall(raw, "the tool call has no separator between its name and arguments");
  const head = value.slice(0, separatorAt).trim();
  const tail = value.slice(separatorAt + SEPARATOR.length);
  // V3/R1 put the type ("function") before the separator and the name on the line after it.
  if (head === "function" && !tail.trimStart().startsWith("{")) {
    const newline = tail.indexOf("\n");
    const name = newline === -1 ? tail : tail.slice(0, newline);
    return jsonArgumentsCall(name, newline === -1 ? "" : stripFence(tail.slice(newline + 1)), raw);
  }
  return jsonArgumentsCall(head, stripFence(tail), raw);
}

function parseDeepSeek(scanned: ScannedBlock): ToolParseEvent[] {
  const calls = readTaggedParts(scanned.block === LONE_CALL ? scanned.raw : scanned.body, CALL);
  return mapTaggedCalls(calls, { raw: scanned.raw, strayIsText: scanned.block === LONE_CALL }, (part, raw) => readCall(part.value, raw));
}

export const deepseekV3Spec: FamilySpec = {
  blocks: [SECTION, LONE_CALL],
  parse: parseDeepSeek,
  callShaped: alwaysShaped,
};

export function createDeepSeekV3Parser(): ToolCallTextParser {
  return createMarkerScanner(deepseekV3Spec);
}
