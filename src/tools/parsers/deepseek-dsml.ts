/**
 * DeepSeek V3.2 / V4's DSML (mlx-lm `chat_templates/deepseek_v32.py`, sglang's DeepSeekV32Detector):
 * `<｜DSML｜function_calls>` (V3.2) or `<｜DSML｜tool_calls>` (V4, vLLM's DeepSeekV4ToolParser: the same
 * grammar under another wrapper name) around `<｜DSML｜invoke name="X">` blocks, each holding
 * `<｜DSML｜parameter name="k" string="true|false">v</｜DSML｜parameter>` tags (a string kept byte for
 * byte, else a JSON value, typed later from the tool's input_schema) or one JSON object of arguments.
 * The bars are U+FF5C, as in DeepSeek's other special tokens.
 */
import { alwaysShaped } from "./internal/family-spec.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonArgumentsCall, toolCall, invalidCall } from "./internal/build-call-events.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { SPACE } from "./internal/match-head.js";
import { endsWithAny, mapTaggedCalls, readTaggedArguments, readTaggedParts } from "./internal/read-tagged-parts.js";
import type { TagSyntax } from "./internal/read-tagged-parts.js";
import type { ToolCallTextParser } from "./types.js";

const INVOKE: TagSyntax = { open: /<｜DSML｜invoke\s+name\s*=\s*["']([^"']*)["']\s*｜?>/, close: "</｜DSML｜invoke>", next: "<｜DSML｜invoke" };
const PARAMETER: TagSyntax = {
  open: /<｜DSML｜parameter\s+name\s*=\s*["']([^"']*)["'](?:\s+string\s*=\s*["'](?:true|false)["'])?\s*｜?>/,
  close: "</｜DSML｜parameter>",
  next: "<｜DSML｜parameter",
};

/** The wrapper's name in each version: V3.2's, then V4's. */
const DSML_WRAPPERS = ["function_calls", "tool_calls"] as const;

// An end marker inside a value (a file that mentions </｜DSML｜function_calls>) is not the end.
const sectionBlock = (wrapper: string): CallBlock => ({
  start: `<｜DSML｜${wrapper}>`,
  end: `</｜DSML｜${wrapper}>`,
  acceptsEnd: (body) => !body.includes("<｜DSML｜invoke") || endsWithAny(body, [INVOKE.close]),
  head: [[SPACE, "<｜DSML｜invoke"]],
});

export const deepseekDsmlSpec: FamilySpec = {
  blocks: DSML_WRAPPERS.map(sectionBlock),
  parse: ({ body, raw }) =>
    mapTaggedCalls(readTaggedParts(body, INVOKE), { raw, strayIsText: false }, (part, partRaw) => {
      // Its arguments as one JSON object (sglang's second form), or as parameter tags.
      if (part.value.trim().startsWith("{")) return jsonArgumentsCall(part.key, part.value, partRaw, { cutOff: !part.closed });
      const read = readTaggedArguments(part.value, PARAMETER, { nested: { open: INVOKE.next, close: INVOKE.close }, callClosed: part.closed });
      return read.ok ? toolCall(part.key, read.args, true, partRaw, read.repaired) : invalidCall(partRaw, read.reason);
    }),
  callShaped: alwaysShaped,
};

export function createDeepseekDsmlParser(): ToolCallTextParser {
  return createMarkerScanner(deepseekDsmlSpec);
}
