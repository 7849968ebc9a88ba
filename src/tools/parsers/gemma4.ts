/**
 * Gemma 4: `<|tool_call>call:get_weather{location:<|"|>Boston<|"|>,days:3}<tool_call|>`. Keys are bare
 * and strings sit between `<|"|>` tokens (mlx-lm's `gemma4` parser); other values are JSON.
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { gemmaCallSpec } from "./internal/gemma-call-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const gemma4Spec: FamilySpec = gemmaCallSpec({
  start: "<|tool_call>",
  end: "<tool_call|>",
  quote: '<|"|>',
});

export function createGemma4Parser(): ToolCallTextParser {
  return createMarkerScanner(gemma4Spec);
}
