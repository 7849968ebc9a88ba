/** Text tool-call parsers, one per model family, behind a single factory. */
import { createDeepSeekV3Parser } from "./deepseek-v3.js";
import { createGlm45Parser } from "./glm45.js";
import { createHermesParser } from "./hermes.js";
import { createKimiK2Parser } from "./kimi-k2.js";
import { createLlama3JsonParser } from "./llama3-json.js";
import { createMallexXmlParser } from "./mallex-xml.js";
import { createMistralParser } from "./mistral.js";
import { createQwen3CoderParser } from "./qwen3-coder.js";
import type { ToolCallFormat, ToolCallTextParser } from "./types.js";

export type { ParsedToolCall, ToolCallFormat, ToolCallTextParser, ToolParseEvent } from "./types.js";

/**
 * A fresh parser for one response. Parsers hold the response's state, so never share one.
 *
 * @example
 * const parser = createToolCallParser("hermes");
 * const events = [...parser.feed("Let me look.<tool_call>"), ...parser.feed('{"name":"Read"}</tool_call>'), ...parser.end()];
 */
export function createToolCallParser(format: ToolCallFormat): ToolCallTextParser {
  switch (format) {
    case "hermes":
      return createHermesParser();
    case "qwen3-coder":
      return createQwen3CoderParser();
    case "llama3-json":
      return createLlama3JsonParser();
    case "mistral":
      return createMistralParser();
    case "glm45":
      return createGlm45Parser();
    case "deepseek-v3":
      return createDeepSeekV3Parser();
    case "kimi-k2":
      return createKimiK2Parser();
    case "mallex-xml":
      return createMallexXmlParser();
    default: {
      // Unreachable for typed callers; guards a format string that slipped past config validation.
      const unknown: never = format;
      throw new TypeError(`Unknown tool call format "${String(unknown)}"`);
    }
  }
}
