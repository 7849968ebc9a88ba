/**
 * Gemma 3: no tool tokens; following Google's function-calling prompt, the model writes Python calls
 * in a fenced block tagged `tool_code`, one call per line:
 *
 *   ```tool_code
 *   get_weather(city="Paris")
 *   ```
 *
 * Some answers wrap the call in `print(…)` and prefix it with `default_api.` (the Gemini code-execution
 * habit); both are unwrapped. Arguments are keyword Python literals, read by the pythonic reader.
 *
 * @see test/unit/tool-parser-corpus/gemma3.ts, the calls it reads; "Function calling" in Google's Gemma
 *   documentation.
 */
import { invalidCall, toolCall } from "./internal/build-call-events.js";
import type { FamilySpec } from "./internal/family-spec.js";
import { createMarkerScanner } from "./internal/marker-scanner.js";
import type { CallBlock, ScannedBlock } from "./internal/marker-scanner.js";
import { readPythonCalls } from "./internal/read-python-calls.js";
import type { PythonCall } from "./internal/read-python-calls.js";
import type { ToolCallTextParser, ToolParseEvent } from "./types.js";

const PRINT = /print\(\s*/y;
const SPACE = /\s*/y;
const NAMESPACE = /^default_api\./;
/** A body that opens with a call (`name(` or `print(name(`): the block is the model's call, broken or not. */
const CALL_HEAD = /^\s*(?:print\(\s*)?[A-Za-z_][\w.]*\(/;

const TOOL_CODE: CallBlock = {
  start: "```tool_code",
  end: "```",
  // Backticks inside a string argument (a Markdown snippet being written) do not close the fence.
  acceptsEnd: (body) => !endsInsidePythonString(body),
};

/** Reads the calls one after another, each optionally inside `print(…)`. */
function readToolCode(body: string): { ok: true; calls: PythonCall[] } | { ok: false; reason: string } {
  const calls: PythonCall[] = [];
  let at = skip(SPACE, body, 0);
  while (at < body.length) {
    const printAt = at;
    at = skip(PRINT, body, at);
    const printed = at !== printAt;
    const read = readPythonCalls(body, at, false);
    if (!read.ok) return read;
    calls.push(...read.calls);
    at = skip(SPACE, body, read.end);
    if (printed) {
      if (body.charAt(at) !== ")") return { ok: false, reason: "print( around the tool call is not closed" };
      at = skip(SPACE, body, at + 1);
    }
  }
  if (calls.length === 0) return { ok: false, reason: "the tool_code block holds no call" };
  return { ok: true, calls };
}

function skip(pattern: RegExp, text: string, from: number): number {
  pattern.lastIndex = from;
  return pattern.exec(text) === null ? from : pattern.lastIndex;
}

function parseGemma3({ body, raw, terminated }: ScannedBlock): ToolParseEvent[] {
  const read = readToolCode(body);
  if (!read.ok) return [invalidCall(raw, terminated ? read.reason : "the tool call is cut off")];
  return read.calls.map((call) => toolCall(call.name.replace(NAMESPACE, ""), call.args, false, raw));
}

/** Whether `text` ends inside a Python string literal ('…', "…", '''…''', """…"""). */
export function endsInsidePythonString(text: string): boolean {
  let quote = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text.charAt(i);
    if (quote === "") {
      if (ch !== '"' && ch !== "'") continue;
      quote = text.startsWith(ch.repeat(3), i) ? ch.repeat(3) : ch;
      i += quote.length - 1;
    } else if (ch === "\\") {
      i++;
    } else if (text.startsWith(quote, i)) {
      i += quote.length - 1;
      quote = "";
    }
  }
  return quote !== "";
}

export const gemma3Spec: FamilySpec = {
  blocks: [TOOL_CODE],
  parse: parseGemma3,
  // A `tool_code` fence is Gemma's call syntax; one that holds no call shape is a code sample.
  callShaped: (_block, body) => CALL_HEAD.test(body),
};

export function createGemma3Parser(): ToolCallTextParser {
  return createMarkerScanner(gemma3Spec);
}
