/**
 * A call written as bare JSON in a Markdown fence, with no family markup around it:
 *
 *   ```json
 *   {"name": "Write", "arguments": {"file_path": "/a", "content": "hi"}}
 *   ```
 *
 * Qwen2.5-Coder answers this way often, whatever the template asked for (llama.cpp's Hermes 2 Pro
 * parser takes an optional ```json fence before `{"name"` for that reason), and other small models
 * slip into it too, so every parser reads it. Without markers JSON is just data, so it is a call only
 * where nothing else fits: as the whole content of a fence labelled for data (json, tool_call or no
 * label), its first key naming one of the request's tools, the fence ending the answer, and the prose
 * before the fence not presenting it as an example (the scanner's rules for fenced calls).
 */
import type { ToolParseEvent } from "../types.js";
import { jsonCalls } from "./build-call-events.js";
import type { FamilySpec } from "./family-spec.js";
import type { CallBlock, ScannedBlock, ScannerSpec } from "./marker-scanner.js";
import { SPACE, type HeadStep } from "./match-head.js";
import { readJsonSequence } from "./read-json-sequence.js";
import { normalizeToolName } from "./tool-name-set.js";

/** The labels a fenced call is written under; a fence labelled as code (```python) holds code. */
const DATA_FENCE = /^(?:json|tool_calls?|function_calls?)?$/i;

// `"name"` first, as every family that writes JSON calls puts it: the name decides within a line.
const NAMED: readonly HeadStep[] = [SPACE, '"name"', SPACE, ":", SPACE, '"', /[^"\\]*/y, '"'];

const OBJECT: CallBlock = { start: "{", end: null, fenceInfo: DATA_FENCE, head: [NAMED] };
const LIST: CallBlock = { start: "[", end: null, fenceInfo: DATA_FENCE, head: [[SPACE, "{", ...NAMED]] };

export const FENCED_JSON_BLOCKS: readonly CallBlock[] = [OBJECT, LIST];

export const isFencedJsonBlock = (block: CallBlock): boolean => block === OBJECT || block === LIST;

/** Whether a fenced JSON block whose head names `name` may be a call: only to a requested tool. */
export const namesRequestedTool = (toolNames: ReadonlySet<string>, name: string): boolean => toolNames.has(normalizeToolName(name));

/**
 * The calls in the fence: one JSON value or several, one after another. Null (no call: the fence is
 * text) when anything else is in it; the fence has no end marker, so the JSON must be whole.
 */
export function parseFencedJson({ raw }: ScannedBlock): ToolParseEvent[] | null {
  const sequence = readJsonSequence(raw, {});
  if (sequence.items.length === 0 || raw.slice(sequence.restStart).trim() !== "") return null;
  if (sequence.items.some((item) => item.json === null)) return null;
  return sequence.items.flatMap((item) => jsonCalls(item.json ?? "", raw.slice(item.start, item.end)));
}

/** As `auto` sees it: a shape of no family, which any family's model may write. */
export const fencedJsonSpec: FamilySpec = {
  blocks: FENCED_JSON_BLOCKS,
  parse: parseFencedJson,
  callShaped: () => true,
  anyFamily: true,
};

/**
 * A family's spec for one response, reading fenced JSON calls to the request's tools as well.
 * `blocks` is the family's blocks followed by {@link FENCED_JSON_BLOCKS}, built once per family so
 * that the scanner's marker index over it is kept.
 */
export function withFencedJsonCalls(family: FamilySpec, blocks: readonly CallBlock[], toolNames: ReadonlySet<string>): ScannerSpec {
  return {
    blocks,
    parse: (scanned) => (isFencedJsonBlock(scanned.block) ? parseFencedJson(scanned) : family.parse(scanned)),
    ...(family.acceptsEnd === undefined ? {} : { acceptsEnd: family.acceptsEnd }),
    acceptsHead: (block, name) => !isFencedJsonBlock(block) || namesRequestedTool(toolNames, name),
  };
}
