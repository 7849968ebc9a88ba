/**
 * Meituan LongCat: `<longcat_tool_call>NAME<longcat_arg_key>k</longcat_arg_key><longcat_arg_value>v</longcat_arg_value></longcat_tool_call>`,
 * GLM-4.5's layout under its own tag names. Values are raw text, typed later from the input_schema.
 */
import { invalidCall, jsonCalls, toolCall } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { endsWithAny, readTaggedArguments } from "./internal/read-tagged-parts.js";
import type { TagSyntax } from "./internal/read-tagged-parts.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const ARGUMENT: TagSyntax = {
  open: /<longcat_arg_key>([^<]*)<\/longcat_arg_key>\s*<longcat_arg_value>/,
  close: "</longcat_arg_value>",
  next: "<longcat_arg_key>",
};

const looksLikeJson = (body: string): boolean => body.trimStart().startsWith("{");

const TOOL_CALL: CallBlock = {
  start: "<longcat_tool_call>",
  end: "</longcat_tool_call>",
  acceptsEnd: (body) =>
    looksLikeJson(body)
      ? !endsInsideJsonString(body)
      : !body.includes("<longcat_arg_value>") || endsWithAny(body, ["</longcat_arg_value>"]),
};

function parseLongcat(scanned: ScannedBlock): ToolParseEvent[] {
  const { body, raw } = scanned;
  if (looksLikeJson(body)) return jsonCalls(body, raw, { cutOff: !scanned.terminated });
  const keyAt = body.indexOf("<longcat_arg_key>");
  if (keyAt === -1 && !scanned.terminated) return [invalidCall(raw, "the tool call is cut off")];
  const name = keyAt === -1 ? body : body.slice(0, keyAt);
  const read = readTaggedArguments(keyAt === -1 ? "" : body.slice(keyAt), ARGUMENT);
  return [read.ok ? toolCall(name, read.args, true, raw) : invalidCall(raw, read.reason)];
}

export const longcatSpec: FamilySpec = {
  blocks: [TOOL_CALL],
  parse: parseLongcat,
  callShaped: bodyStartsWith(/^(?:\{|[^\s<>{}[\]]+\s*(?:<longcat_arg_key>|$))/),
};

export function createLongcatParser(): ToolCallTextParser {
  return createMarkerScanner(longcatSpec);
}
