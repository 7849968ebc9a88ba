/**
 * GLM-4.5 / 4.6: `<tool_call>NAME\n<arg_key>k</arg_key>\n<arg_value>v</arg_value>\n</tool_call>`;
 * GLM-4.7 drops the newline after the name. Values are raw text, typed later from the tool's
 * input_schema, and kept byte for byte (a file's trailing newline is content).
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { glmCallSpec } from "./internal/glm-call-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

const JSON_OR_NAME_THEN_ARGUMENT = /^(?:\{|[^\s<>{}[\]]+\s*<arg_key>)/;

export const glm45Spec: FamilySpec = glmCallSpec(
  { call: "tool_call", key: "arg_key", value: "arg_value" },
  // A call without arguments is a bare word, which prose can be too: only a known tool counts.
  (_block, body, toolNames) => {
    const trimmed = body.trim();
    return JSON_OR_NAME_THEN_ARGUMENT.test(trimmed) || toolNames.has(trimmed.toLowerCase());
  },
);

export function createGlm45Parser(): ToolCallTextParser {
  return createMarkerScanner(glm45Spec);
}
