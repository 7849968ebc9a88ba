/**
 * Gemma 4: `<|tool_call>call:get_weather{location:<|"|>Boston<|"|>,days:3}<tool_call|>`. Keys are bare
 * and strings sit between `<|"|>` tokens (mlx-lm's `gemma4` parser); other values are JSON.
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { readGemmaCalls } from "./internal/read-gemma-calls.js";
import type { ToolCallTextParser } from "./types.js";

const STRING = '<|"|>';
// An end marker inside a string value does not end the call: strings come in pairs of delimiters.
const TOOL_CALL: CallBlock = {
  start: "<|tool_call>",
  end: "<tool_call|>",
  acceptsEnd: (body) => body.split(STRING).length % 2 === 1,
};

export const gemma4Spec: FamilySpec = {
  blocks: [TOOL_CALL],
  parse: ({ body, raw }) => readGemmaCalls(body, raw, STRING),
  callShaped: alwaysShaped,
};

export function createGemma4Parser(): ToolCallTextParser {
  return createMarkerScanner(gemma4Spec);
}
