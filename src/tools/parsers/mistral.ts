/**
 * Mistral. Before tokenizer v11 (v0.3, Nemo): `[TOOL_CALLS] [{"name", "arguments", "id"}, …]`.
 * From v11 (Small 3.2, Devstral, Magistral): `[TOOL_CALLS]name[ARGS]{…}`, repeated per call, with an
 * optional `[CALL_ID]id` before `[ARGS]`. There is no end marker, so calls are read at the end.
 */
import { invalidCall, jsonArgumentsCall, jsonCalls } from "./internal/build-call-events.js";
import { bodyStartsWith } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { closeTruncatedJson } from "./internal/close-truncated-json.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ScannedBlock } from "./internal/marker-scanner.js";
import { readJsonSequence } from "./internal/read-json-sequence.js";
import { JSON_HEAD, SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const MARKER = "[TOOL_CALLS]";
const V11_HEAD = /([^\s[\]{}]+)(?:\[CALL_ID\][^[]*)?\[ARGS\]/;
const NOT_A_CALL = "the text after [TOOL_CALLS] is not a tool call";

function parseMistral({ raw }: ScannedBlock): ToolParseEvent[] {
  // Read as one sequence rather than split on the marker: a JSON value may contain "[TOOL_CALLS]".
  const sequence = readJsonSequence(raw, { head: V11_HEAD, lead: MARKER });
  if (sequence.items.length === 0) return [invalidCall(raw, NOT_A_CALL)];
  const events = sequence.items.flatMap((item): ToolParseEvent[] => {
    const itemRaw = raw.slice(item.start, item.end);
    // The output ended inside the last call: whole if only its closing brackets are missing.
    const json = item.json ?? closeTruncatedJson(raw.slice(item.jsonStart));
    if (json === null) return [invalidCall(itemRaw, "the tool call is cut off")];
    return item.name === null ? jsonCalls(json, itemRaw) : [jsonArgumentsCall(item.name, json, itemRaw)];
  });
  const rest = raw.slice(sequence.restStart);
  if (rest.includes(MARKER)) events.push(invalidCall(rest.trim(), NOT_A_CALL));
  else if (rest.trim() !== "") events.push({ type: "text", text: rest });
  return events;
}

export const mistralSpec: FamilySpec = {
  blocks: [
    {
      start: MARKER,
      end: null,
      head: [...JSON_HEAD, ...["[ARGS]", "[CALL_ID]"].map((next) => [SPACE, /[^\s[\]{}]+/y, next])],
    },
  ],
  parse: parseMistral,
  callShaped: bodyStartsWith(new RegExp(`^(?:[[{]|${V11_HEAD.source})`)),
};

export function createMistralParser(): ToolCallTextParser {
  return createMarkerScanner(mistralSpec);
}
