/**
 * NVIDIA Nemotron Nano v2: `<TOOLCALL>[{"name": …, "arguments": {…}}]</TOOLCALL>`, one JSON list per
 * block (llama.cpp's "Nemotron V2").
 */
import { jsonCalls } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser } from "./types.js";

const TOOL_CALL: CallBlock = {
  start: "<TOOLCALL>",
  end: "</TOOLCALL>",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};

export const nemotronSpec: FamilySpec = {
  blocks: [TOOL_CALL],
  parse: ({ body, raw, terminated }) => jsonCalls(body, raw, { cutOff: !terminated }),
  callShaped: bodyStartsWith(/^[[{]/),
};

export function createNemotronParser(): ToolCallTextParser {
  return createMarkerScanner(nemotronSpec);
}
