/**
 * IBM Granite 3.x: `<|tool_call|>[{"name": …, "arguments": {…}}]` with no end marker. Phi-4-mini writes
 * the same marker and closes it with `<|/tool_call|>`. (Granite 4 switched to Hermes' `<tool_call>`.)
 * Calls are read at the end of the output, since nothing but the JSON itself says where they stop.
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { readJsonAfterMarker } from "./internal/read-json-after-marker.js";
import { JSON_HEAD } from "./internal/match-head.js";
import type { ToolCallTextParser } from "./types.js";

const MARKER: CallBlock = { start: "<|tool_call|>", end: null, head: JSON_HEAD };

export const graniteSpec: FamilySpec = {
  blocks: [MARKER],
  parse: ({ raw }) =>
    readJsonAfterMarker(raw, {
      markerLength: MARKER.start.length,
      optionalEnd: "<|/tool_call|>",
      notACall: "the text after <|tool_call|> is not a JSON tool call",
    }),
  callShaped: alwaysShaped,
};

export function createGraniteParser(): ToolCallTextParser {
  return createMarkerScanner(graniteSpec);
}
