/**
 * Splits XML-like call bodies (`<parameter=k>v</parameter>`, `<invoke name="x">…</invoke>`,
 * `<arg_key>k</arg_key><arg_value>v</arg_value>`) into tagged values. These values are raw text
 * (source code, HTML) that may itself contain `</parameter>`, so a value ends at the last closing
 * tag before the next sibling rather than at the first one.
 */
import type { ToolParseEvent } from "../types.js";
import { invalidCall, toolCall } from "./build-call-events.js";

export interface TagSyntax {
  /** Opening tag; capture group 1, when present, is its key (a parameter or tool name). */
  readonly open: RegExp;
  readonly close: string;
  /** Prefix of the next sibling's opening tag. */
  readonly next: string;
}

/** How a format tags its calls and their parameters (`<invoke name="x">`, `<function=x>`). */
export interface TaggedCallSyntax {
  /** The call's tag; its key is the tool name. */
  readonly call: TagSyntax;
  readonly parameter: TagSyntax;
  /** Strips the format's layout around a parameter value. */
  readonly cleanValue?: (value: string) => string;
}

export type TaggedPart =
  | {
      readonly kind: "tagged";
      readonly key: string;
      readonly value: string;
      /** The part from its opening tag to its closing tag (or to the end when unclosed). */
      readonly raw: string;
      readonly closed: boolean;
      /** The value ended at the next sibling's tag, on a line of its own: its own closing tag was never written. */
      readonly closeMissing?: true;
    }
  /** Non-whitespace text between or after tagged parts: a truncated tag, or a model's stray words. */
  | { readonly kind: "stray"; readonly raw: string };

/**
 * A call's own tags (`<function=` … `</function>`): a value holding a whole call of the same format
 * (a file that documents one) has sibling-looking tags inside it, which are the inner call's.
 */
export interface NestedCall {
  readonly open: string;
  readonly close: string;
}

/** How one text's tagged parts are read: the syntax, with what is worked out once per text. */
interface PartReader {
  readonly text: string;
  readonly syntax: TagSyntax;
  readonly nested: NestedCall | undefined;
  /** The opening tag, matched at one position. */
  readonly openAt: RegExp;
  /**
   * More opening tags than closing ones: some value lost its closing tag (Qwen3-Coder writes the next
   * `<parameter=…>` without it), so a sibling tag on a line of its own may end the value before it.
   */
  readonly closesMissing: boolean;
}

/** Where a value ends, and where reading goes on after it. */
interface ValueEnd {
  readonly at: number;
  readonly next: number;
  readonly closeMissing: boolean;
}

/**
 * Characters no parameter or tool name holds, but code does: a "tag" whose name has one (`<arg_key>{k}</arg_key>`,
 * `<parameter=" + name + ">`, `<arg_key>(.*?)</arg_key>`) is part of a value being written, never the next sibling.
 */
const NOT_IN_A_NAME = /["'`<>{}()[\]\\;%\r\n\t]/;

/**
 * Where the value opened before `from` ends: the last closing tag before the next sibling's opening
 * tag (or the end). An opening tag with no closing tag before it is text inside the value, so the
 * search moves on to the following one, and so is one inside a `nested` call; but where closing tags
 * are missing, one on a line of its own is the next sibling, and the value ends before it. Null when
 * the value is never closed.
 */
function findValueEnd(reader: PartReader, from: number): ValueEnd | null {
  const { text, syntax } = reader;
  for (let searchFrom = from; ;) {
    const nextOpen = nextSibling(reader, from, searchFrom);
    const latestStart = (nextOpen === -1 ? text.length : nextOpen) - syntax.close.length;
    const close = latestStart >= from ? text.lastIndexOf(syntax.close, latestStart) : -1;
    if (close >= from) return { at: close, next: close + syntax.close.length, closeMissing: false };
    if (nextOpen === -1) return null;
    if (reader.closesMissing && standsAlone(reader, nextOpen)) return { at: nextOpen, next: nextOpen, closeMissing: true };
    searchFrom = nextOpen + 1;
  }
}

/**
 * The next sibling's opening tag at or after `searchFrom` (see opensSibling), not inside a nested call
 * opened since `from`. Only the opening tag's prefix is searched for, then checked.
 */
function nextSibling(reader: PartReader, from: number, searchFrom: number): number {
  const { text, syntax, nested } = reader;
  for (let at = text.indexOf(syntax.next, searchFrom); at !== -1; at = text.indexOf(syntax.next, at + 1)) {
    if (opensSibling(reader, at) && (nested === undefined || nestingAt(text, from, at, nested) === 0)) return at;
  }
  return -1;
}

/** Whether a tag's key (a parameter or tool name, or none) could be a name, not a piece of code. */
export const couldBeName = (key: string): boolean => !NOT_IN_A_NAME.test(key.trim());

/** Where the whole opening tag that starts at `at` ends, if its key names a parameter (or tool) rather than a piece of code; else -1. */
function siblingTagEnd(reader: PartReader, at: number): number {
  reader.openAt.lastIndex = at;
  const match = reader.openAt.exec(reader.text);
  return match !== null && couldBeName(match[1] ?? "") ? at + match[0].length : -1;
}

/**
 * Whether the next sibling may open at `at`: a whole tag naming a parameter (or tool), where the
 * format's layout puts one, at the start of a line or on the line of a closing tag (right after it,
 * or after stray words, which then make the call a broken one rather than part of a value). A tag
 * in the middle of a line that closed nothing (a docstring's `<arg_key>k</arg_key><arg_value>v…`
 * example in a GLM parser's source being written) is part of the value.
 */
function opensSibling(reader: PartReader, at: number): boolean {
  const { text, syntax } = reader;
  if (siblingTagEnd(reader, at) === -1) return false;
  const lineStart = text.lastIndexOf("\n", at - 1) + 1;
  if (text.slice(lineStart, at).trim() === "") return true;
  const close = at >= syntax.close.length ? text.lastIndexOf(syntax.close, at - syntax.close.length) : -1;
  return close >= lineStart;
}

/**
 * Whether the sibling tag at `at` has lines to itself, as Qwen3-Coder lays its parameters out
 * (`\n<parameter=content>\n`) and GLM its keys (`\n<arg_key>k</arg_key>\n<arg_value>`): only such a
 * tag ends a value whose closing tag is missing. A tag that shares its line with other text
 * (`<parameter name="x"> opens a value`) is a value's own words.
 */
function standsAlone(reader: PartReader, at: number): boolean {
  const { text } = reader;
  let before = at - 1;
  while (before >= 0 && (text[before] === " " || text[before] === "\t")) before--;
  const end = siblingTagEnd(reader, at);
  let after = end;
  while (after < text.length && (text[after] === " " || text[after] === "\t" || text[after] === "\r")) after++;
  return before >= 0 && text[before] === "\n" && (text[after] === "\n" || text.slice(at, end).includes("\n"));
}

/** How many times `needle` occurs in `text`. */
function countOf(text: string, needle: string): number {
  let count = 0;
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) count += 1;
  return count;
}

/** How many nested calls are open at `at`, counting from `from`. */
function nestingAt(text: string, from: number, at: number, nested: NestedCall): number {
  let depth = 0;
  for (let open = text.indexOf(nested.open, from); open !== -1 && open < at; open = text.indexOf(nested.open, open + nested.open.length)) depth += 1;
  if (depth === 0) return 0;
  for (let close = text.indexOf(nested.close, from); close !== -1 && close < at; close = text.indexOf(nested.close, close + nested.close.length)) depth -= 1;
  return depth;
}

export function readTaggedParts(text: string, syntax: TagSyntax, nested?: NestedCall): TaggedPart[] {
  const parts: TaggedPart[] = [];
  // Private copies: a shared global RegExp would carry lastIndex between calls.
  const open = new RegExp(syntax.open.source, "g");
  const reader: PartReader = {
    text,
    syntax,
    nested,
    openAt: new RegExp(syntax.open.source, "y"),
    closesMissing: countOf(text, syntax.next) > countOf(text, syntax.close),
  };
  let position = 0;
  while (position < text.length) {
    open.lastIndex = position;
    const match = open.exec(text);
    const start = match === null ? text.length : match.index;
    const between = text.slice(position, start);
    if (between.trim() !== "") parts.push({ kind: "stray", raw: between });
    if (match === null) break;
    const key = (match[1] ?? "").trim();
    const valueStart = start + match[0].length;
    const end = findValueEnd(reader, valueStart);
    if (end === null) {
      parts.push({
        kind: "tagged",
        key,
        value: text.slice(valueStart),
        raw: text.slice(start),
        closed: false,
      });
      break;
    }
    position = end.next;
    parts.push({
      kind: "tagged",
      key,
      value: text.slice(valueStart, end.at),
      raw: text.slice(start, position),
      closed: true,
      ...(end.closeMissing ? { closeMissing: true as const } : {}),
    });
  }
  return parts;
}

/** Whether `body`, once trailing whitespace is dropped, ends with one of `closers`. */
export const endsWithAny = (body: string, closers: readonly string[]): boolean => {
  const trimmed = body.trimEnd();
  return closers.some((closer) => trimmed.endsWith(closer));
};

export type TaggedArguments =
  { readonly ok: true; readonly args: Record<string, string>; readonly repaired?: string } | { readonly ok: false; readonly reason: string };

export interface TaggedArgumentOptions {
  /** Strips the format's layout around a value. */
  readonly cleanValue?: (value: string) => string;
  /** The call's own tags, for values that hold a whole call (see NestedCall). */
  readonly nested?: NestedCall;
  /**
   * The call's closing tag was written: a last parameter left open then ends there (the model forgot
   * its `</parameter>`, as vLLM's and llama.cpp's parsers recover), rather than being cut off.
   */
  readonly callClosed?: boolean;
}

/**
 * Reads a call's parameters. A truncated value is an error rather than a shorter value: running
 * Write with half a file is worse than asking the model again. Only a call whose own closing tag
 * came (`callClosed`) may end its last value without one.
 */
export function readTaggedArguments(text: string, syntax: TagSyntax, options: TaggedArgumentOptions = {}): TaggedArguments {
  const { cleanValue = (value: string) => value, nested, callClosed = false } = options;
  const entries: Array<[string, string]> = [];
  // The parameters whose closing tag had to be supplied: before the next one, or by the call's end.
  const unclosed: string[] = [];
  for (const part of readTaggedParts(text, syntax, nested)) {
    if (part.kind === "stray") return { ok: false, reason: "the tool call has text outside its parameters" };
    if (part.key === "") return { ok: false, reason: "a parameter of the tool call has no name" };
    if (!part.closed && !callClosed) return { ok: false, reason: `parameter "${part.key}" of the tool call is not closed` };
    const supplied = !part.closed || part.closeMissing === true;
    if (supplied) unclosed.push(`parameter "${part.key}"`);
    // The line break before the tag that ends an unclosed value is layout, as before its own closing tag.
    entries.push([part.key, cleanValue(supplied ? part.value.replace(/\n$/, "") : part.value)]);
  }
  const repaired = unclosed.length === 0 ? undefined : `the missing ${syntax.close} of ${unclosed.join(", ")}`;
  // fromEntries defines own properties, so a parameter named "__proto__" is kept, not swallowed.
  return { ok: true, args: Object.fromEntries(entries) as Record<string, string>, ...(repaired === undefined ? {} : { repaired }) };
}

/**
 * Events for the calls found in a block. A block holding just one call gives it the whole block as
 * raw text (markers included), so nothing the model wrote goes missing. Stray text is "between calls" inside a wrapper; after a
 * lone call (whose end marker was taken for part of a value) it is just the text that followed.
 */
export function mapTaggedCalls(
  parts: readonly TaggedPart[],
  block: { readonly raw: string; readonly strayIsText: boolean },
  toEvent: (part: Extract<TaggedPart, { kind: "tagged" }>, raw: string) => ToolParseEvent,
): ToolParseEvent[] {
  const calls = parts.filter((part) => part.kind === "tagged");
  if (calls.length === 0) return [{ type: "invalid_call", raw: block.raw, reason: "the tool call block holds no call" }];
  return parts.map((part): ToolParseEvent => {
    if (part.kind === "tagged") return toEvent(part, parts.length === 1 ? block.raw : part.raw);
    if (block.strayIsText) return { type: "text", text: part.raw };
    return { type: "invalid_call", raw: part.raw.trim(), reason: "unexpected text between tool calls" };
  });
}

/** Events for the tagged calls in `text`, each call's parameters read as its arguments. */
export function readTaggedCalls(text: string, syntax: TaggedCallSyntax, block: { readonly raw: string; readonly strayIsText: boolean }): ToolParseEvent[] {
  return mapTaggedCalls(readTaggedParts(text, syntax.call), block, (part, raw) => {
    const read = readTaggedArguments(part.value, syntax.parameter, {
      ...(syntax.cleanValue === undefined ? {} : { cleanValue: syntax.cleanValue }),
      nested: { open: syntax.call.next, close: syntax.call.close },
      callClosed: part.closed,
    });
    return read.ok ? toolCall(part.key, read.args, true, raw, read.repaired) : invalidCall(raw, read.reason);
  });
}
