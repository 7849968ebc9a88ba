/**
 * Cohere Command R7B: `<|START_ACTION|>[{"tool_call_id": "0", "tool_name": …, "parameters": {…}}]<|END_ACTION|>`.
 * Command R / R+ (no special tokens) write `Action: ```json\n[{"tool_name": …, "parameters": …}]\n````.
 * Both use `tool_name` and `parameters`, which the shared JSON reader accepts.
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlock, parseJsonBlock } from "./internal/json-block-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import { JSON_HEAD } from "./internal/match-head.js";
import type { ToolCallTextParser } from "./types.js";

const ACTION = jsonBlock("<|START_ACTION|>", "<|END_ACTION|>");
const JSON_START = /^[[{]/;
// Its marker opens the fence already: the JSON follows bare.
const FENCED = { ...jsonBlock("Action: ```json", "```"), head: JSON_HEAD };

export const commandRSpec: FamilySpec = {
  blocks: [ACTION, FENCED],
  parse: parseJsonBlock,
  callShaped: (block, body) => (block === ACTION ? alwaysShaped() : JSON_START.test(body.trimStart())),
};

export function createCommandRParser(): ToolCallTextParser {
  return createMarkerScanner(commandRSpec);
}
