/**
 * Llama 3.1 / 3.2 / 3.3 JSON calls: `[<|python_tag|>]{"name": …, "parameters" | "arguments": {…}}`,
 * several separated by `; `. Without the tag a call is only recognised when the output starts with
 * it (as vLLM does); a reply that merely opens with JSON that is not call-shaped stays text.
 */
import { invalidCall, jsonCalls } from "./internal/build-call-events.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { closeTruncatedJson } from "./internal/close-truncated-json.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { readJsonSequence } from "./internal/read-json-sequence.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const PYTHON_TAG: CallBlock = {
  start: "<|python_tag|>",
  end: null,
  head: [
    [SPACE, "{"],
    [SPACE, /[\w.]+/y, SPACE, "("],
  ],
};
const BARE: CallBlock = {
  start: "{",
  end: null,
  atOutputStart: true,
  head: [
    [SPACE, '"name"'],
    [SPACE, '"type"'],
  ],
};

const CALL_SHAPED = /^\{\s*(?:"name"\s*:|"type"\s*:\s*"function")/;

function parseLlama3(scanned: ScannedBlock): ToolParseEvent[] {
  if (scanned.block === BARE && !CALL_SHAPED.test(scanned.raw)) return [{ type: "text", text: scanned.raw }];
  // Offsets below are in `text`; `prefix` is what precedes it in `raw` (the tag, if any).
  const prefix = scanned.block === BARE ? "" : PYTHON_TAG.start;
  const text = scanned.raw.slice(prefix.length);
  const sequence = readJsonSequence(text, { separator: ";" });
  if (sequence.items.length === 0) return [invalidCall(scanned.raw, "the text after <|python_tag|> is not a JSON tool call")];
  const events = sequence.items.flatMap((item, index): ToolParseEvent[] => {
    const itemRaw = index === 0 ? prefix + text.slice(0, item.end) : text.slice(item.start, item.end);
    // The output ended inside the last call: whole if only its closing brackets are missing.
    const json = item.json ?? closeTruncatedJson(text.slice(item.jsonStart));
    return json === null ? [invalidCall(itemRaw, "the tool call is cut off")] : jsonCalls(json, itemRaw);
  });
  const rest = text.slice(sequence.restStart);
  if (rest.trim() !== "") events.push({ type: "text", text: rest });
  return events;
}

export const llama3JsonSpec: FamilySpec = {
  blocks: [PYTHON_TAG, BARE],
  parse: parseLlama3,
  // JSON, or the built-in tools' `brave_search.call(…)`, which is the family's even though unsupported.
  callShaped: (block, body) => block === BARE || /^(?:\{|[\w.]+\s*\()/.test(body.trimStart()),
};

export function createLlama3JsonParser(): ToolCallTextParser {
  return createMarkerScanner(llama3JsonSpec);
}
