/**
 * Qwen2.5 / Qwen3 / Hermes 2-3: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one block
 * per call. An unterminated block is still parsed at the end of the output (vLLM does the same),
 * since models often stop right after the JSON.
 *
 * Small Qwen models also wrap the call in another tag: `<tools>` (the tag their system prompt lists
 * the functions in), `<function_call>`, `<tool>`, `<response>`, `<json>`, `<xml>`, `<JSON>`.
 * llama.cpp's Hermes parser takes those too; here, as there, only when the JSON right after the tag
 * opens on `"name"`, since those tags are common words in prose and markup.
 */
import type { FamilySpec } from "./internal/family-spec.js";
import { jsonBlock, jsonBlockSpec } from "./internal/json-block-spec.js";
import { SPACE, type HeadAlternatives } from "./internal/match-head.js";
import { createMarkerScanner, type CallBlock } from "./internal/marker-scanner.js";
import type { ToolCallTextParser } from "./types.js";

const WRAPPERS = ["tools", "function_call", "tool", "response", "json", "xml", "JSON"];

/** `{"name"`, fenced or not. */
const NAMED_CALL_HEAD: HeadAlternatives = [
  [SPACE, "{", SPACE, '"name"'],
  [SPACE, "```", /[\w-]*/y, SPACE, "{", SPACE, '"name"'],
];

const wrapperBlocks: CallBlock[] = WRAPPERS.map((tag) => ({ ...jsonBlock(`<${tag}>`, `</${tag}>`), head: NAMED_CALL_HEAD }));

const toolCall = jsonBlockSpec("<tool_call>", "</tool_call>");

/** Whether a block is one of the other wrapper tags, not Hermes' own `<tool_call>` (ToolCallParserOptions.ownMarkupOnly). */
export const isLooseWrapperBlock = (block: CallBlock): boolean => wrapperBlocks.includes(block);

export const hermesSpec: FamilySpec = { ...toolCall, blocks: [...toolCall.blocks, ...wrapperBlocks] };

export function createHermesParser(): ToolCallTextParser {
  return createMarkerScanner(hermesSpec);
}
