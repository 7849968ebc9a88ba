/**
 * The tools an answer's text tried to call that the request does not offer. A small model asked to
 * write a function often "calls" it instead — Qwen2.5-Coder-1.5B answered issue 48's task ("Implement
 * `to_roman`…") 5 times of 5 with ```json {"name": "to_roman", "arguments": {"number": 19}} ``` —
 * and that stays text: a call without markers is read as one only when it names a requested tool
 * (markerless-json-spec.ts), so the turn ends with nothing done. Two things in the text say so:
 * - the note the translator made of a call in a family's markup, or a native one, whose tool does not
 *   exist (formatInvalidCallNote with unknownToolReason's reason);
 * - a call-shaped JSON object, bare or in a fence for data (```json, ```tool_call, or no label): a
 *   string `name`, an object `arguments` or `parameters`, and no key but those, `type` and `id` (a
 *   tool's definition, with its description, is not a call), found nested too (OpenAI's
 *   `{"type": "function", "function": {…}}`). A fence labelled for code (```python) holds code, whose
 *   objects are its data.
 * A name is offered as the reader of unmarked calls matches it: as written, in any case, with or
 * without OpenAI's `functions.` prefix — no aliases, since an aliased name (read_file) in unmarked
 * JSON stays text too. Pure.
 */
import { resolveToolName, unknownToolNameOf } from "../../tools/check-tool-call.js";
import type { AnthropicCustomTool, AnthropicOutputBlock } from "../anthropic-types.js";
import { readInvalidCallReasons } from "./resolve-tool-call.js";
import { createJsonObjectTracker } from "./track-json-object.js";

/**
 * How many characters the search for objects reads at most, over the whole answer: an object that
 * fails to parse is searched again from its second character (a call may sit inside prose in braces),
 * so braces that never close could make it quadratic. Calls are short, and this runs on the event loop.
 */
export const MAX_SCANNED_CHARS = 1_000_000;

const NO_ALIASES: Readonly<Record<string, string>> = Object.freeze({});

/** The names, each once in the order written, of the tools the text blocks call that `tools` does not hold. */
export function findUnknownCalls(content: readonly AnthropicOutputBlock[], tools: readonly AnthropicCustomTool[]): string[] {
  const budget = { left: MAX_SCANNED_CHARS };
  const named = content.flatMap((block) => (block.type === "text" ? calledNames(block.text, budget) : []));
  return [...new Set(named.filter((name) => resolveToolName(name, tools, NO_ALIASES) === undefined))];
}

/** A note's block is the call it replaced, read by its reason; any other block by the objects in it. */
function calledNames(text: string, budget: { left: number }): string[] {
  const reasons = readInvalidCallReasons(text);
  if (reasons.length > 0) return reasons.flatMap((reason) => unknownToolNameOf(reason) ?? []);
  return dataParts(text).flatMap((part) => callNamesIn(part, budget));
}

const FENCE_OPEN = /^ {0,3}(`{3,}|~{3,})[ \t]*([^\s`]*)/;
/** The labels a call is fenced under, as markerless-json-spec.ts's DATA_FENCE reads them. */
const DATA_LABEL = /^(?:json|tool_calls?|function_calls?)?$/i;

/** The text outside fences, and the content of each fence labelled for data: not code's. */
function dataParts(text: string): string[] {
  const parts: string[] = [];
  let part: string[] = [];
  let fence: { marker: string; data: boolean } | undefined;
  for (const line of text.split("\n")) {
    if (fence === undefined) {
      const open = FENCE_OPEN.exec(line);
      if (open === null) {
        part.push(line);
        continue;
      }
      parts.push(part.join("\n"));
      part = [];
      fence = { marker: open[1]!, data: DATA_LABEL.test(open[2]!) };
      continue;
    }
    const trimmed = line.trim();
    if (trimmed.startsWith(fence.marker) && /^(?:`+|~+)$/.test(trimmed)) {
      if (fence.data) parts.push(part.join("\n"));
      part = [];
      fence = undefined;
      continue;
    }
    part.push(line);
  }
  // An unclosed fence (the answer was cut) runs to the end.
  if (fence === undefined || fence.data) parts.push(part.join("\n"));
  return parts.filter((text) => text.includes("{"));
}

/** The names of the call-shaped objects in the text, reading at most `budget.left` characters. */
function callNamesIn(text: string, budget: { left: number }): string[] {
  const names: string[] = [];
  let at = text.indexOf("{");
  while (at !== -1 && budget.left > 0) {
    const tracker = createJsonObjectTracker();
    const state = tracker.feed(text.slice(at, at + budget.left));
    budget.left -= tracker.read();
    const end = at + tracker.read();
    const value = state === "closed" ? parseJson(text.slice(at, end)) : undefined;
    if (value === undefined) {
      at = text.indexOf("{", at + 1);
      continue;
    }
    collectCallNames(value, names);
    at = text.indexOf("{", end);
  }
  return names;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A call's object stops the walk: its arguments are its tool's, not calls. */
function collectCallNames(value: unknown, names: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectCallNames(item, names);
    return;
  }
  if (!isRecord(value)) return;
  const name = callName(value);
  if (name !== undefined) names.push(name);
  else for (const child of Object.values(value)) collectCallNames(child, names);
}

const CALL_KEYS: ReadonlySet<string> = new Set(["name", "arguments", "parameters", "type", "id"]);

function callName(value: Record<string, unknown>): string | undefined {
  const { name } = value;
  if (typeof name !== "string" || name.trim() === "") return undefined;
  if (!isRecord(value.arguments) && !isRecord(value.parameters)) return undefined;
  return Object.keys(value).every((key) => CALL_KEYS.has(key)) ? name : undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
