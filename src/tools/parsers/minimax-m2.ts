/**
 * MiniMax-M2: `<minimax:tool_call>` around `<invoke name="X"><parameter name="k">v</parameter></invoke>`
 * blocks, the same element names as mallex's own template. Values are raw text, kept byte for byte
 * and typed later from the tool's input_schema (MiniMax's server-side parser does the same).
 */
import { invalidCall, toolCall } from "./internal/build-call-events.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import {
  endsWithAny,
  mapTaggedCalls,
  readTaggedArguments,
  readTaggedParts,
} from "./internal/read-tagged-parts.js";
import { INVOKE, PARAMETER } from "./mallex-xml.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

// An end marker inside a value (a file that mentions </minimax:tool_call>) is not the end.
const SECTION: CallBlock = {
  start: "<minimax:tool_call>",
  end: "</minimax:tool_call>",
  acceptsEnd: (body) => !body.includes("<invoke") || endsWithAny(body, ["</invoke>"]),
};

function parseMiniMax(scanned: ScannedBlock): ToolParseEvent[] {
  const invokes = readTaggedParts(scanned.body, INVOKE);
  return mapTaggedCalls(invokes, { raw: scanned.raw, strayIsText: false }, (part, raw) => {
    const read = readTaggedArguments(part.value, PARAMETER);
    return read.ok ? toolCall(part.key, read.args, true, raw) : invalidCall(raw, read.reason);
  });
}

export const minimaxM2Spec: FamilySpec = {
  blocks: [SECTION],
  parse: parseMiniMax,
  callShaped: alwaysShaped,
};

export function createMiniMaxM2Parser(): ToolCallTextParser {
  return createMarkerScanner(minimaxM2Spec);
}
