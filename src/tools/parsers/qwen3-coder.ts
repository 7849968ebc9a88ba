/**
 * Qwen3-Coder XML: `<tool_call><function=NAME><parameter=KEY>\nVALUE\n</parameter></function></tool_call>`.
 * The wrapper is optional: the model sometimes writes a bare `<function=…>` (mlx-lm PR #1616).
 * Values are raw text, typed later from the tool's input_schema.
 */
import { jsonCalls } from "./internal/build-call-events.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { SPACE } from "./internal/match-head.js";
import { endsWithAny, readTaggedCalls } from "./internal/read-tagged-parts.js";
import type { TaggedCallSyntax } from "./internal/read-tagged-parts.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import { JSON_OR_FENCED_HEAD, opensAsJson } from "./internal/strip-json-fence.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

export const FUNCTION_CALLS: TaggedCallSyntax = {
  call: { open: /<function=([^>\n]*)>/, close: "</function>", next: "<function=" },
  parameter: { open: /<parameter=([^>\n]*)>/, close: "</parameter>", next: "<parameter=" },
  // The newline right after `<parameter=k>` and the one before `</parameter>` are layout, not value.
  cleanValue: (value) => value.replace(/^\r?\n/, "").replace(/\r?\n$/, ""),
};

/** The name in `<function=NAME>`, up to its `>`. */
export const FUNCTION_NAME = /[^>\s{}<]+/y;

const looksLikeJson = opensAsJson;

// An end marker inside a parameter value (say, a file being written that mentions </tool_call>)
// does not end the call: the real one follows a closed parameter or function.
const WRAPPED: CallBlock = {
  start: "<tool_call>",
  end: "</tool_call>",
  acceptsEnd: (body) =>
    looksLikeJson(body) ? !endsInsideJsonString(body) : !body.includes("<parameter=") || endsWithAny(body, ["</function>", "</parameter>"]),
  head: [[SPACE, "<function="], ...JSON_OR_FENCED_HEAD],
};

const BARE: CallBlock = {
  start: "<function=",
  end: "</function>",
  acceptsEnd: (body) => !body.includes("<parameter=") || endsWithAny(body, ["</parameter>"]),
  head: [
    [FUNCTION_NAME, ">", SPACE, "<parameter="],
    [FUNCTION_NAME, ">", SPACE, "</function>"],
  ],
};

function parseQwen3Coder(scanned: ScannedBlock): ToolParseEvent[] {
  // Fine-tunes trained on both formats sometimes put Hermes JSON inside the wrapper.
  if (scanned.block === WRAPPED && looksLikeJson(scanned.body)) return jsonCalls(scanned.body, scanned.raw, { cutOff: !scanned.terminated });
  const bare = scanned.block === BARE;
  const text = bare ? scanned.raw : scanned.body;
  return readTaggedCalls(text, FUNCTION_CALLS, { raw: scanned.raw, strayIsText: bare });
}

// A bare `<function=NAME>` followed by JSON is Functionary's, not ours.
const BARE_SHAPE = /^[^>\n{}]*>\s*(?:<parameter=|$)/;

export const qwen3CoderSpec: FamilySpec = {
  blocks: [WRAPPED, BARE],
  parse: parseQwen3Coder,
  callShaped: (block, body) => (block === WRAPPED ? body.trimStart().startsWith("<function=") || opensAsJson(body) : BARE_SHAPE.test(body)),
};

export function createQwen3CoderParser(): ToolCallTextParser {
  return createMarkerScanner(qwen3CoderSpec);
}
