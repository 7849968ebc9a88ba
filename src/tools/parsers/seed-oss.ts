/**
 * Seed-OSS (ByteDance): `<seed:tool_call><function=NAME><parameter=k>v</parameter></function></seed:tool_call>`,
 * Qwen3-Coder's function and parameter tags inside a wrapper of its own. Values are raw text, typed
 * later from the tool's input_schema.
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
import { FUNCTION, PARAMETER, trimLayoutNewlines } from "./qwen3-coder.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const SECTION: CallBlock = {
  start: "<seed:tool_call>",
  end: "</seed:tool_call>",
  acceptsEnd: (body) => !body.includes("<parameter=") || endsWithAny(body, ["</function>", "</parameter>"]),
};

function parseSeedOss(scanned: ScannedBlock): ToolParseEvent[] {
  const functions = readTaggedParts(scanned.body, FUNCTION);
  return mapTaggedCalls(functions, { raw: scanned.raw, strayIsText: false }, (part, raw) => {
    const read = readTaggedArguments(part.value, PARAMETER, trimLayoutNewlines);
    return read.ok ? toolCall(part.key, read.args, true, raw) : invalidCall(raw, read.reason);
  });
}

export const seedOssSpec: FamilySpec = {
  blocks: [SECTION],
  parse: parseSeedOss,
  callShaped: alwaysShaped,
};

export function createSeedOssParser(): ToolCallTextParser {
  return createMarkerScanner(seedOssSpec);
}
