/**
 * FireFunction v2: ` functools[{"name": …, "arguments": {…}}, …]` (the list follows the word with no
 * special token, so the marker is the word plus the bracket). No end marker: calls are read at the end.
 */
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { readJsonAfterMarker } from "./internal/read-json-after-marker.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser } from "./types.js";

const MARKER: CallBlock = {
  start: "functools[",
  end: null,
  head: [
    [SPACE, "{"],
    [SPACE, "]"],
  ],
};

export const firefunctionV2Spec: FamilySpec = {
  blocks: [MARKER],
  // The bracket is both the end of the marker and the start of the JSON list.
  parse: ({ raw }) =>
    readJsonAfterMarker(raw, {
      markerLength: "functools".length,
      notACall: "the text after functools is not a JSON tool call list",
    }),
  callShaped: bodyStartsWith(/^(?:\{|\])/),
};

export function createFirefunctionV2Parser(): ToolCallTextParser {
  return createMarkerScanner(firefunctionV2Spec);
}
