/**
 * Cohere Command R7B: `<|START_ACTION|>[{"tool_call_id": "0", "tool_name": …, "parameters": {…}}]<|END_ACTION|>`.
 * Command R / R+ (no special tokens) write `Action: ```json\n[{"tool_name": …, "parameters": …}]\n````.
 * Both use `tool_name` and `parameters`, which the shared JSON reader accepts.
 */
import { jsonCalls } from "./internal/build-call-events.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser } from "./types.js";

const ACTION: CallBlock = {
  start: "<|START_ACTION|>",
  end: "<|END_ACTION|>",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};
const JSON_START = /^[[{]/;
const FENCED: CallBlock = {
  start: "Action: ```json",
  end: "```",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};

export const commandRSpec: FamilySpec = {
  blocks: [ACTION, FENCED],
  parse: ({ body, raw, terminated }) => jsonCalls(body, raw, { cutOff: !terminated }),
  callShaped: (block, body) => (block === ACTION ? alwaysShaped() : JSON_START.test(body.trimStart())),
};

export function createCommandRParser(): ToolCallTextParser {
  return createMarkerScanner(commandRSpec);
}
