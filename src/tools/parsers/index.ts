/**
 * Text tool-call parsers, one per model family, behind a single factory.
 *
 * Families parsed by mlx-lm 0.32 (`mlx_lm/tool_parsers`) and llama.cpp (`common/chat-parser.cpp`),
 * and what we do with each:
 * - covered: json_tools / Hermes 2 Pro / Xiaomi MiMo / Granite 4 (hermes), qwen3_coder, glm47 / GLM 4.5
 *   (glm45), kimi_k2, mistral / Mistral Nemo / Magistral, DeepSeek R1 / V3.1 (deepseek-v3), Llama 3.x
 *   (llama3-json), minimax_m2, GPT-OSS, Seed-OSS, pythonic / LFM2 (pythonic, which also reads LFM2's
 *   JSON list), Granite 3.x (granite, with Phi-4-mini's closing tag), Functionary v3.1, Command R7B
 *   (command-r, with Command R's `Action: ```json`), Nemotron V2, Apertus, Apriel 1.5, FireFunction v2,
 *   longcat, gemma4, function_gemma.
 * - skipped: Functionary v3.2 (`>>>name\n{…}` and a bare `name\n{` at the start: `>>>` is every Python
 *   REPL transcript), llama.cpp's Generic (`{"tool_call": …}` / `{"response": …}` as the whole output,
 *   only produced under its own grammar), Hermes 2 Pro's loose wrappers (`<tool>`, `<json>`, `<xml>`,
 *   `<response>`, ```json fences: ordinary words in prose), Llama 3.x built-in tools
 *   (`<|python_tag|>brave_search.call(…)`: not tools Claude Code has), DeepSeek's rarer section spellings,
 *   and Solar Open / EXAONE MoE / Nemotron V3 (PEG-only in llama.cpp; no stable text format to copy).
 */
import { compileAutoFamilies, createAutoParser } from "./auto.js";
import { FAMILIES } from "./families.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { ToolCallFormat, ToolCallParserOptions, ToolCallTextParser } from "./types.js";

export type {
  ParsedToolCall,
  ToolCallFormat,
  ToolCallParserOptions,
  ToolCallTextParser,
  ToolParseEvent,
} from "./types.js";

// Immutable once built; what `auto` watches depends only on the families, so every response shares it.
const AUTO_FAMILIES = compileAutoFamilies(Object.values(FAMILIES), [
  { family: FAMILIES["llama3-json"], head: "llama3" },
  { family: FAMILIES.pythonic, head: "pythonic" },
]);

/**
 * A fresh parser for one response. Parsers hold the response's state, so never share one.
 * `"auto"` watches every family's markers and settles on the first one that is really used.
 *
 * @example
 * const parser = createToolCallParser("hermes");
 * const events = [...parser.feed("Let me look.<tool_call>"), ...parser.feed('{"name":"Read"}</tool_call>'), ...parser.end()];
 * const any = createToolCallParser("auto", { toolNames: ["Read", "Bash"] });
 */
export function createToolCallParser(
  format: ToolCallFormat | "auto",
  options: ToolCallParserOptions = {},
): ToolCallTextParser {
  if (format === "auto") {
    return createAutoParser(AUTO_FAMILIES, options);
  }
  // Object.hasOwn: guards a format string that slipped past config validation ("toString" included).
  if (!Object.hasOwn(FAMILIES, format)) throw new TypeError(`Unknown tool call format "${String(format)}"`);
  return createMarkerScanner(FAMILIES[format]);
}
