import type { ParsedToolCall } from "../../tools/parsers/types.js";

/**
 * Pure: what mallex had to fix in a call the model wrote before it could run — JSON the parser
 * repaired, a tool name it mapped to the real one (read_file → Read, a case slip), typed arguments
 * converted to the schema's types ("20" for an integer), arguments the tool does not have left out
 * (checkToolCall). Untyped formats (XML parameters, GLM's
 * arg_value) always arrive as text: converting those is reading them, not a repair. A `functions.`
 * prefix is a format's way of writing the name, not a slip either.
 */
export function describeCallRepairs(call: ParsedToolCall, name: string, input: Readonly<Record<string, unknown>>): string[] {
  const repairs: string[] = [];
  if (call.repaired !== undefined) repairs.push(call.repaired);
  if (call.name.trim().replace(/^functions\./, "") !== name) repairs.push(`tool name ${call.name.trim()} → ${name}`);
  if (!call.untyped && Object.keys(input).some((key) => !Object.is(input[key], call.arguments[key]))) repairs.push("arguments converted to the schema's types");
  const dropped = Object.keys(call.arguments).filter((key) => !Object.hasOwn(input, key));
  if (dropped.length > 0) repairs.push(`arguments the tool does not have left out: ${dropped.join(", ")}`);
  return repairs;
}
