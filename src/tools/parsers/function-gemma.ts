/**
 * FunctionGemma: `<start_function_call>call:NAME{key:<escape>text<escape>,n:3}<end_function_call>`,
 * Gemma 4's call syntax with `<escape>` as the string delimiter (mlx-lm's `function_gemma` parser).
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { readGemmaCalls } from "./internal/read-gemma-calls.js";
import type { ToolCallTextParser } from "./types.js";

const STRING = "<escape>";
const FUNCTION_CALL: CallBlock = {
  start: "<start_function_call>",
  end: "<end_function_call>",
  acceptsEnd: (body) => body.split(STRING).length % 2 === 1,
};

export const functionGemmaSpec: FamilySpec = {
  blocks: [FUNCTION_CALL],
  parse: ({ body, raw }) => readGemmaCalls(body, raw, STRING),
  callShaped: alwaysShaped,
};

export function createFunctionGemmaParser(): ToolCallTextParser {
  return createMarkerScanner(functionGemmaSpec);
}
