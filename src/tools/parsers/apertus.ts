/**
 * Swiss AI Apertus: `<|tools_prefix|>[{"get_weather": {"city": "Bern"}}]<|tools_suffix|>`, the short
 * form where each call is an object whose only key is the tool name (llama.cpp's "Apertus").
 */
import { invalidCall, isRecord, jsonCalls, jsonObjectCall, parseJson, toolCall } from "./internal/build-call-events.js";
import { closeTruncatedJson } from "./internal/close-truncated-json.js";
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlock } from "./internal/json-block-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ScannedBlock } from "./internal/marker-scanner.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const TOOLS = jsonBlock("<|tools_prefix|>", "<|tools_suffix|>");

function shortFormCall(value: unknown, raw: string): ToolParseEvent {
  const keys = isRecord(value) ? Object.keys(value) : [];
  // A `{"name": …, "arguments": …}` object is the long form, which fine-tunes also write.
  if (!isRecord(value) || keys.length !== 1 || keys[0] === "name") return jsonObjectCall(value, raw);
  const name = keys[0] ?? "";
  const args = value[name];
  if (args === null || args === undefined) return toolCall(name, {}, false, raw);
  return isRecord(args) ? toolCall(name, args, false, raw) : invalidCall(raw, "the tool call's arguments are not a JSON object");
}

function parseApertus({ body, raw, terminated }: ScannedBlock): ToolParseEvent[] {
  const text = body.trim();
  const parsed = parseJson(text);
  const repaired = parsed.ok || terminated ? parsed : parseJson(closeTruncatedJson(text) ?? "");
  if (!repaired.ok) return jsonCalls(text, raw);
  const items = Array.isArray(repaired.value) ? repaired.value : [repaired.value];
  if (items.length === 0) return [invalidCall(raw, "the tool call list is empty")];
  return items.map((item) => shortFormCall(item, raw));
}

export const apertusSpec: FamilySpec = {
  blocks: [TOOLS],
  parse: parseApertus,
  callShaped: alwaysShaped,
};

export function createApertusParser(): ToolCallTextParser {
  return createMarkerScanner(apertusSpec);
}
