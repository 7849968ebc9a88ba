/**
 * Qwen2.5 / Qwen3 / Hermes 2-3: `<tool_call>{"name": …, "arguments": {…}}</tool_call>`, one block
 * per call. An unterminated block is still parsed at the end of the output (vLLM does the same),
 * since models often stop right after the JSON.
 */
import { jsonCalls } from "./internal/build-call-events.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock } from "./internal/marker-scanner.js";
import { endsInsideJsonString } from "./internal/scan-json.js";
import type { ToolCallTextParser } from "./types.js";

const TOOL_CALL: CallBlock = {
  start: "<tool_call>",
  end: "</tool_call>",
  acceptsEnd: (body) => !endsInsideJsonString(body),
};

export function createHermesParser(): ToolCallTextParser {
  return createMarkerScanner({
    blocks: [TOOL_CALL],
    parse: ({ body, raw }) => jsonCalls(body, raw),
  });
}
