/**
 * A call written as bare JSON, with no family markup around it, in a Markdown fence:
 *
 *   ```json
 *   {"name": "Write", "arguments": {"file_path": "/a", "content": "hi"}}
 *   ```
 *
 * or on the lines after a sentence of prose: `I'll list the files.\n{"name": "Bash", "arguments": {…}}`.
 * Qwen2.5-Coder answers this way often, whatever the template asked for (llama.cpp's Hermes 2 Pro
 * parser takes an optional ```json fence before `{"name"` for that reason), and Qwen2.5 writes the
 * unfenced one after its sentence, so every parser reads both. Without markers JSON is just data, so
 * it is a call only where nothing else fits: its first key naming one of the request's tools, and
 * - fenced: as the whole content of a fence labelled for data (json, tool_call or no label), the fence
 *   ending the answer, and the prose before the fence not presenting it as an example (the scanner's
 *   rules for fenced calls);
 * - unfenced: from the start of a line (not in code, nor after prose that presents a sample), the JSON
 *   ending the answer (an example is followed by the prose that explains it: released as text the
 *   moment that prose begins), and every object a call, `{"name": …, "arguments" | "parameters": {…}}`
 *   and nothing else (a tool's own definition, with its description, is not one).
 */
import type { ToolParseEvent } from "../types.js";
import { isRecord, jsonCalls, parseJson } from "./build-call-events.js";
import type { FamilySpec } from "./family-spec.js";
import { STRAY_END, type CallBlock, type ScannedBlock, type ScannerSpec } from "./marker-scanner.js";
import { SPACE, type HeadStep } from "./match-head.js";
import { readJsonSequence } from "./read-json-sequence.js";
import { normalizeToolName } from "./tool-name-set.js";

/** The labels a fenced call is written under; a fence labelled as code (```python) holds code. */
const DATA_FENCE = /^(?:json|tool_calls?|function_calls?)?$/i;

// `"name"` first, as every family that writes JSON calls puts it: the name decides within a line.
const NAMED: readonly HeadStep[] = [SPACE, '"name"', SPACE, ":", SPACE, '"', /[^"\\]*/y, '"'];

const OBJECT: CallBlock = { start: "{", end: null, fenceInfo: DATA_FENCE, head: [NAMED] };
const LIST: CallBlock = { start: "[", end: null, fenceInfo: DATA_FENCE, head: [[SPACE, "{", ...NAMED]] };
const LINE: CallBlock = { start: "{", end: null, atLineStart: true, jsonToEnd: true, head: [NAMED] };

export const MARKERLESS_JSON_BLOCKS: readonly CallBlock[] = [OBJECT, LIST, LINE];

export const isMarkerlessJsonBlock = (block: CallBlock): boolean => MARKERLESS_JSON_BLOCKS.includes(block);

/** Whether a JSON block without markers whose head names `name` may be a call: only to a requested tool. */
export const namesRequestedTool = (toolNames: ReadonlySet<string>, name: string): boolean => toolNames.has(normalizeToolName(name));

/**
 * The calls in the fence: one JSON value or several, one after another. Null (no call: the fence is
 * text) when anything else is in it; the fence has no end marker, so the JSON must be whole.
 */
function parseFencedJson({ raw }: ScannedBlock): ToolParseEvent[] | null {
  const sequence = readJsonSequence(raw, {});
  if (sequence.items.length === 0 || raw.slice(sequence.restStart).trim() !== "") return null;
  if (sequence.items.some((item) => item.json === null)) return null;
  return sequence.items.flatMap((item) => jsonCalls(item.json ?? "", raw.slice(item.start, item.end)));
}

/** The keys a call object holds: its name, and its arguments under either of their names. */
const CALL_KEYS: ReadonlySet<string> = new Set(["name", "arguments", "parameters"]);

/** Whether JSON text is one call object and nothing more: a name, and its arguments. */
function isCallObject(json: string): boolean {
  const parsed = parseJson(json);
  if (!parsed.ok || !isRecord(parsed.value)) return false;
  const keys = Object.keys(parsed.value);
  return keys.every((key) => CALL_KEYS.has(key)) && keys.some((key) => key !== "name");
}

/**
 * The calls written unfenced from a line's start to the end of the answer: whole call objects, with
 * nothing after them but whitespace and a stray `</tool_call>` (the scanner released anything else
 * as soon as it came). Null (text) when one is cut off or is not a call, or the closing tag is.
 */
function parseLineJson({ raw }: ScannedBlock): ToolParseEvent[] | null {
  const sequence = readJsonSequence(raw, {});
  if (sequence.items.length === 0 || sequence.items.some((item) => item.json === null || !isCallObject(item.json))) return null;
  if (!["", STRAY_END].includes(raw.slice(sequence.restStart).trim())) return null;
  return sequence.items.flatMap((item) => jsonCalls(item.json ?? "", raw.slice(item.start, item.end)));
}

/** The calls in a block of {@link MARKERLESS_JSON_BLOCKS}, or null when it holds none. */
const parseMarkerlessJson = (scanned: ScannedBlock): ToolParseEvent[] | null => (scanned.block === LINE ? parseLineJson(scanned) : parseFencedJson(scanned));

/** As `auto` sees it: a shape of no family, which any family's model may write. */
export const markerlessJsonSpec: FamilySpec = {
  blocks: MARKERLESS_JSON_BLOCKS,
  parse: parseMarkerlessJson,
  callShaped: () => true,
  anyFamily: true,
};

/**
 * A family's spec for one response, reading JSON calls without markers to the request's tools as well.
 * `blocks` is the family's blocks followed by {@link MARKERLESS_JSON_BLOCKS}, built once per family so
 * that the scanner's marker index over it is kept.
 */
export function withMarkerlessJsonCalls(family: FamilySpec, blocks: readonly CallBlock[], toolNames: ReadonlySet<string>): ScannerSpec {
  return {
    blocks,
    parse: (scanned) => (isMarkerlessJsonBlock(scanned.block) ? parseMarkerlessJson(scanned) : family.parse(scanned)),
    ...(family.acceptsEnd === undefined ? {} : { acceptsEnd: family.acceptsEnd }),
    acceptsHead: (block, name) => !isMarkerlessJsonBlock(block) || namesRequestedTool(toolNames, name),
  };
}
