/**
 * Reads Gemma's call syntax, `call:NAME{key:value,…}`: keys are bare words and strings are wrapped
 * in a delimiter token instead of quotes (`<|"|>` for Gemma 4, `<escape>` for FunctionGemma), so a
 * value can hold quotes and braces unescaped. The arguments are rewritten as JSON and parsed.
 */
import type { ToolParseEvent } from "../types.js";
import { invalidCall, isRecord, parseJson, toolCall } from "./build-call-events.js";

const CALL_HEAD = /call:([\w.-]+)\s*\{/y;

/** The arguments object opening at `from` as JSON text and where it ends, or null when it never closes. */
function readArguments(text: string, from: number, quote: string): { json: string; end: number } | null {
  let json = "";
  let depth = 0;
  let expectKey = false;
  for (let at = from; at < text.length;) {
    if (text.startsWith(quote, at)) {
      const close = text.indexOf(quote, at + quote.length);
      if (close === -1) return null;
      json += JSON.stringify(text.slice(at + quote.length, close));
      at = close + quote.length;
      expectKey = false;
      continue;
    }
    const char = text.charAt(at);
    const key = expectKey ? /^\s*([A-Za-z_][\w.-]*)\s*:/.exec(text.slice(at, at + 200)) : null;
    if (key !== null) {
      json += `${JSON.stringify(key[1])}:`;
      at += key[0].length;
      expectKey = false;
      continue;
    }
    json += char;
    at++;
    if (char === "{" || char === "[") depth++;
    if (char === "}" || char === "]") depth--;
    expectKey = char === "{" || char === ",";
    if (depth === 0) return { json, end: at };
  }
  return null;
}

/** Every `call:NAME{…}` in `body`; anything else between calls makes the block invalid. */
export function readGemmaCalls(body: string, raw: string, quote: string): ToolParseEvent[] {
  const events: ToolParseEvent[] = [];
  let at = body.search(/\S|$/);
  while (at < body.length) {
    CALL_HEAD.lastIndex = at;
    const head = CALL_HEAD.exec(body);
    if (head === null) return [invalidCall(raw, "the tool call is not written as call:NAME{…}")];
    const args = readArguments(body, at + head[0].length - 1, quote);
    if (args === null) return [invalidCall(raw, "the tool call is cut off")];
    const parsed = parseJson(args.json);
    if (!parsed.ok || !isRecord(parsed.value)) return [invalidCall(raw, "the tool call's arguments are not a readable object")];
    events.push(toolCall(head[1] ?? "", parsed.value, false, raw));
    at = body.slice(args.end).search(/\S|$/) + args.end;
  }
  return events.length === 0 ? [invalidCall(raw, "the tool call block holds no call")] : events;
}
