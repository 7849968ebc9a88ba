/**
 * mallex's own format, taught by our tool template: an optional `<function_calls>` wrapper around
 * `<invoke name="NAME"><parameter name="KEY">VALUE</parameter></invoke>` blocks. Values are raw
 * text, kept byte for byte and typed later from the tool's input_schema.
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { endsWithAny, readTaggedCalls } from "./internal/read-tagged-parts.js";
import type { TaggedCallSyntax } from "./internal/read-tagged-parts.js";
import { SPACE } from "./internal/match-head.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

export const INVOKE_CALLS: TaggedCallSyntax = {
  call: { open: /<invoke\s+name\s*=\s*["']([^"']*)["']\s*>/, close: "</invoke>", next: "<invoke" },
  parameter: {
    open: /<parameter\s+name\s*=\s*["']([^"']*)["']\s*>/,
    close: "</parameter>",
    next: "<parameter",
  },
};

// End markers written inside a value (a file that itself mentions </invoke>) are not the end.
const WRAPPER: CallBlock = {
  start: "<function_calls>",
  end: "</function_calls>",
  acceptsEnd: (body) => !body.includes("<invoke") || endsWithAny(body, ["</invoke>"]),
  head: [
    [SPACE, "<invoke"],
    [SPACE, "</function_calls>"],
  ],
};
const LONE_INVOKE: CallBlock = {
  start: "<invoke name=",
  end: "</invoke>",
  acceptsEnd: (body) => !body.includes("<parameter") || endsWithAny(body, ["</parameter>"]),
  head: ['"', "'"].flatMap((quote) => ["<parameter", "</invoke>"].map((next) => [SPACE, quote, /[^"'<>\n]*/y, quote, SPACE, ">", SPACE, next])),
};

function parseMallexXml(scanned: ScannedBlock): ToolParseEvent[] {
  const lone = scanned.block === LONE_INVOKE;
  const text = lone ? scanned.raw : scanned.body;
  return readTaggedCalls(text, INVOKE_CALLS, { raw: scanned.raw, strayIsText: lone });
}

// In prose, `<invoke name="x">` is followed by words; in a call, by a parameter or the closing tag.
const INVOKE_SHAPE = /^\s*["'][^"'<>]*["']\s*>\s*(?:<parameter|<\/invoke>|$)/;

export const mallexXmlSpec: FamilySpec = {
  blocks: [WRAPPER, LONE_INVOKE],
  parse: parseMallexXml,
  callShaped: (block, body) => (block === WRAPPER ? body.trim() === "" || body.includes("<invoke name=") : INVOKE_SHAPE.test(body)),
};

export function createMallexXmlParser(): ToolCallTextParser {
  return createMarkerScanner(mallexXmlSpec);
}
