/**
 * GLM-4.5 / 4.6: `<tool_call>NAME\n<arg_key>k</arg_key>\n<arg_value>v</arg_value>\n</tool_call>`;
 * GLM-4.7 drops the newline after the name. Values are raw text, typed later from the tool's
 * input_schema, and kept byte for byte (a file's trailing newline is content).
 */
import { invalidCall, jsonCalls, toolCall } from "./internal/build-call-events.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { endsWithAny, readTaggedArguments } from "./internal/read-tagged-parts.js";
import type { TagSyntax } from "./internal/read-tagged-parts.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const ARGUMENT: TagSyntax = {
  open: /<arg_key>([^<]*)<\/arg_key>\s*<arg_value>/,
  close: "</arg_value>",
  next: "<arg_key>",
};

const looksLikeJson = (body: string): boolean => body.trimStart().startsWith("{");

const TOOL_CALL: CallBlock = {
  start: "<tool_call>",
  end: "</tool_call>",
  acceptsEnd: (body) =>
    looksLikeJson(body)
      ? !endsInsideJsonString(body)
      : !body.includes("<arg_value>") || endsWithAny(body, ["</arg_value>"]),
};

function parseGlm(scanned: ScannedBlock): ToolParseEvent[] {
  const { body, raw } = scanned;
  // GLM occasionally falls back to Hermes-style JSON inside the same markers.
  if (looksLikeJson(body)) return jsonCalls(body, raw, { cutOff: !scanned.terminated });
  const keyAt = body.indexOf("<arg_key>");
  // Without arguments or an end marker there is no telling whether the name itself was cut off.
  if (keyAt === -1 && !scanned.terminated) return [invalidCall(raw, "the tool call is cut off")];
  const name = keyAt === -1 ? body : body.slice(0, keyAt);
  const read = readTaggedArguments(keyAt === -1 ? "" : body.slice(keyAt), ARGUMENT);
  return [read.ok ? toolCall(name, read.args, true, raw) : invalidCall(raw, read.reason)];
}

const NAME_THEN_ARGUMENT = /^[^\s<>{}[\]]+\s*<arg_key>/;

export const glm45Spec: FamilySpec = {
  blocks: [TOOL_CALL],
  parse: parseGlm,
  // A call without arguments is a bare word, which prose can be too: only a known tool counts.
  callShaped: (_block, body, toolNames) => {
    const trimmed = body.trim();
    return looksLikeJson(trimmed) || NAME_THEN_ARGUMENT.test(trimmed) || toolNames.has(trimmed.toLowerCase());
  },
};

export function createGlm45Parser(): ToolCallTextParser {
  return createMarkerScanner(glm45Spec);
}
