/**
 * ServiceNow Apriel 1.5: `<tool_calls>[{"name": …, "arguments": {…}}]</tool_calls>` (plural tag, one
 * JSON list for all calls; llama.cpp's "Apriel 1.5").
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlockSpec } from "./internal/json-block-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const aprielSpec: FamilySpec = jsonBlockSpec("<tool_calls>", "</tool_calls>");

export function createAprielParser(): ToolCallTextParser {
  return createMarkerScanner(aprielSpec);
}
