/**
 * Meituan LongCat: `<longcat_tool_call>NAME<longcat_arg_key>k</longcat_arg_key><longcat_arg_value>v</longcat_arg_value></longcat_tool_call>`,
 * GLM-4.5's layout under its own tag names. Values are raw text, typed later from the input_schema.
 */
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { glmCallSpec } from "./internal/glm-call-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

export const longcatSpec: FamilySpec = glmCallSpec(
  { call: "longcat_tool_call", key: "longcat_arg_key", value: "longcat_arg_value" },
  bodyStartsWith(/^(?:\{|[^\s<>{}[\]]+\s*(?:<longcat_arg_key>|$))/),
);

export function createLongcatParser(): ToolCallTextParser {
  return createMarkerScanner(longcatSpec);
}
