/**
 * MiniMax-M2: `<minimax:tool_call>` around `<invoke name="X"><parameter name="k">v</parameter></invoke>`
 * blocks, the same element names as mallex's own template. Values are raw text, kept byte for byte
 * and typed later from the tool's input_schema (MiniMax's server-side parser does the same).
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsWithAny, readTaggedCalls } from "./internal/read-tagged-parts.js";
import { INVOKE_CALLS } from "./mallex-xml.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser } from "./types.js";

// An end marker inside a value (a file that mentions </minimax:tool_call>) is not the end.
const SECTION: CallBlock = {
  start: "<minimax:tool_call>",
  end: "</minimax:tool_call>",
  acceptsEnd: (body) => !body.includes("<invoke") || endsWithAny(body, ["</invoke>"]),
  head: [[SPACE, "<invoke"]],
};

export const minimaxM2Spec: FamilySpec = {
  blocks: [SECTION],
  parse: ({ body, raw }) => readTaggedCalls(body, INVOKE_CALLS, { raw, strayIsText: false }),
  callShaped: alwaysShaped,
};

export function createMiniMaxM2Parser(): ToolCallTextParser {
  return createMarkerScanner(minimaxM2Spec);
}
