/**
 * FunctionGemma: `<start_function_call>call:NAME{key:<escape>text<escape>,n:3}<end_function_call>`,
 * Gemma 4's call syntax with `<escape>` as the string delimiter (mlx-lm's `function_gemma` parser).
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { gemmaCallSpec } from "./internal/gemma-call-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const functionGemmaSpec: FamilySpec = gemmaCallSpec({
  start: "<start_function_call>",
  end: "<end_function_call>",
  quote: "<escape>",
});

export function createFunctionGemmaParser(): ToolCallTextParser {
  return createMarkerScanner(functionGemmaSpec);
}
