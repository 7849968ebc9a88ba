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

/**
 * Where the value opened before `from` ends: the last closing tag before the next sibling's opening
 * tag (or the end). An opening tag with no closing tag before it is text inside the value, so the
 * search moves on to the following one, and so is one inside a `nested` call. Returns -1 when the
 * value is never closed.
 */
function findClose(text: string, from: number, syntax: TagSyntax, nested?: NestedCall): number {
  for (let searchFrom = from; ;) {
    const nextOpen = nextSibling(text, from, searchFrom, syntax.next, nested);
    const latestStart = (nextOpen === -1 ? text.length : nextOpen) - syntax.close.length;
    const close = latestStart >= from ? text.lastIndexOf(syntax.close, latestStart) : -1;
    if (close >= from) return close;
    if (nextOpen === -1) return -1;
    searchFrom = nextOpen + 1;
  }
}

/** The next `next` at or after `searchFrom` that is not inside a nested call opened since `from`. */
function nextSibling(text: string, from: number, searchFrom: number, next: string, nested: NestedCall | undefined): number {
  let at = text.indexOf(next, searchFrom);
  if (nested === undefined) return at;
  while (at !== -1 && nestingAt(text, from, at, nested) > 0) at = text.indexOf(next, at + 1);
  return at;
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
  // A private copy: a shared global RegExp would carry lastIndex between calls.
  const open = new RegExp(syntax.open.source, "g");
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
    const closeAt = findClose(text, valueStart, syntax, nested);
    if (closeAt === -1) {
      parts.push({
        kind: "tagged",
        key,
        value: text.slice(valueStart),
        raw: text.slice(start),
        closed: false,
      });
      break;
    }
    position = closeAt + syntax.close.length;
    parts.push({
      kind: "tagged",
      key,
      value: text.slice(valueStart, closeAt),
      raw: text.slice(start, position),
      closed: true,
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
  let repaired: string | undefined;
  for (const part of readTaggedParts(text, syntax, nested)) {
    if (part.kind === "stray") return { ok: false, reason: "the tool call has text outside its parameters" };
    if (part.key === "") return { ok: false, reason: "a parameter of the tool call has no name" };
    if (!part.closed) {
      if (!callClosed) return { ok: false, reason: `parameter "${part.key}" of the tool call is not closed` };
      repaired = `the missing ${syntax.close} of parameter "${part.key}"`;
    }
    entries.push([part.key, cleanValue(part.closed ? part.value : part.value.replace(/\n$/, ""))]);
  }
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
