/**
 * Qwen2.5 / Qwen3 / Hermes 2-3: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one block
 * per call. An unterminated block is still parsed at the end of the output (vLLM does the same),
 * since models often stop right after the JSON.
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlockSpec } from "./internal/json-block-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const hermesSpec: FamilySpec = jsonBlockSpec("<tool_call>", "</tool_call>");

export function createHermesParser(): ToolCallTextParser {
  return createMarkerScanner(hermesSpec);
}
