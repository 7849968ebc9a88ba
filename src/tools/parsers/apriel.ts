/**
 * ServiceNow Apriel 1.5: `<tool_calls>[{"name": …, "arguments": {…}}]</tool_calls>` (plural tag, one
 * JSON list for all calls; llama.cpp's "Apriel 1.5").
 */
import { jsonCalls } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser } from "./types.js";

const TOOL_CALLS: CallBlock = {
  start: "<tool_calls>",
  end: "</tool_calls>",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};

export const aprielSpec: FamilySpec = {
  blocks: [TOOL_CALLS],
  parse: ({ body, raw, terminated }) => jsonCalls(body, raw, { cutOff: !terminated }),
  callShaped: bodyStartsWith(/^[[{]/),
};

export function createAprielParser(): ToolCallTextParser {
  return createMarkerScanner(aprielSpec);
}
