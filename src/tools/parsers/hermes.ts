/**
 * Qwen2.5 / Qwen3 / Hermes 2-3: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one block
 * per call. An unterminated block is still parsed at the end of the output (vLLM does the same),
 * since models often stop right after the JSON.
 */
import { jsonCalls } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser } from "./types.js";

const TOOL_CALL: CallBlock = {
  start: "<tool_call>",
  end: "</tool_call>",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};

export const hermesSpec: FamilySpec = {
  blocks: [TOOL_CALL],
  parse: ({ body, raw, terminated }) => jsonCalls(body, raw, { cutOff: !terminated }),
  callShaped: bodyStartsWith(/^[[{]/),
};

export function createHermesParser(): ToolCallTextParser {
  return createMarkerScanner(hermesSpec);
}
