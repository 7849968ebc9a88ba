/**
 * Seed-OSS (ByteDance): `<seed:tool_call><function=NAME><parameter=k>v</parameter></function></seed:tool_call>`,
 * Qwen3-Coder's function and parameter tags inside a wrapper of its own. Values are raw text, typed
 * later from the tool's input_schema.
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsWithAny, readTaggedCalls } from "./internal/read-tagged-parts.js";
import { FUNCTION_CALLS } from "./qwen3-coder.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser } from "./types.js";

const SECTION: CallBlock = {
  start: "<seed:tool_call>",
  end: "</seed:tool_call>",
  acceptsEnd: (body) => !body.includes("<parameter=") || endsWithAny(body, ["</function>", "</parameter>"]),
  head: [[SPACE, "<function="]],
};

export const seedOssSpec: FamilySpec = {
  blocks: [SECTION],
  parse: ({ body, raw }) => readTaggedCalls(body, FUNCTION_CALLS, { raw, strayIsText: false }),
  callShaped: alwaysShaped,
};

export function createSeedOssParser(): ToolCallTextParser {
  return createMarkerScanner(seedOssSpec);
}
