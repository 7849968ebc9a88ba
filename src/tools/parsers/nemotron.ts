/**
 * NVIDIA Nemotron Nano v2: `<TOOLCALL>[{"name": …, "arguments": {…}}]</TOOLCALL>`, one JSON list per
 * block (llama.cpp's "Nemotron V2").
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlockSpec } from "./internal/json-block-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const nemotronSpec: FamilySpec = jsonBlockSpec("<TOOLCALL>", "</TOOLCALL>");

export function createNemotronParser(): ToolCallTextParser {
  return createMarkerScanner(nemotronSpec);
}
