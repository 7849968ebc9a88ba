import type { ToolCallTextParser, ToolParseEvent } from "../types.js";
import { advanceContext, advanceContextOver, afterCall, createTextContext, fenceClosed, type TextContext } from "./text-context.js";
import { MAX_INTRO } from "./presents-example.js";
import { followJsonValues } from "./follow-json-values.js";
import type { ScannerSpec } from "./scanner-spec.js";
import { BACKTICK, findStartMarker, isBlank, type ReleasedText } from "./find-start-marker.js";
import { appendToBlock, blockText, type OpenBlock } from "./read-open-block.js";

export type { CallBlock, ScannedBlock, ScannerSpec } from "./scanner-spec.js";

/**
 * Calls read where the answer may still turn out to be quoting them: mid-sentence (a call only if
 * the line ends after it) or in a fenced block (a call only if the fence ends the answer). Until
 * that is known, the calls and the text around them wait here; then they go out as calls, or
 * everything goes out as the exact text the model wrote.
 */
interface Candidate {
  readonly kind: "sentence" | "fence";
  /** The verbatim text, for when it is no call after all. */
  verbatim: string;
  /** The events, for when it is. */
  events: ToolParseEvent[];
  /** What of a stray closing tag after a fenced call has been read (see {@link STRAY_END}). */
  stray: string;
}

/**
 * A closing tag Qwen2.5-Coder writes after a fenced call it never opened with a tag (```` ```json
 * {…} ``` ```` then `</tool_call>`): it belongs to the call, so it neither stops the fence from ending
 * the answer nor goes out as text.
 */
export const STRAY_END = "</tool_call>";

/** Whether text right after a call goes on with the same line (so the call was part of a sentence). */
function continuesLine(events: readonly ToolParseEvent[]): boolean {
  const firstCall = events.findIndex((event) => event.type !== "text");
  for (const event of events.slice(firstCall + 1)) {
    if (event.type !== "text") continue;
    const next = /[^ \t\r]/.exec(event.text)?.[0];
    if (next !== undefined) return next !== "\n";
  }
  return false;
}

/** Everything the scanner keeps between chunks. */
interface ScannerState extends ReleasedText {
  readonly context: TextContext;
  recent: string;
  sawContent: boolean;
  /** Text outside any block that may still begin a call. */
  held: string;
  open: OpenBlock | null;
  candidate: Candidate | null;
  /** The last character of the output before the current position (text or a block). */
  lastChar: string;
  /** The events of the current `feed` or `end`. */
  out: ToolParseEvent[];
}

/**
 * Builds an incremental parser from a format's block markers. Text outside blocks is released as
 * soon as it can no longer be the beginning of a call; a block is buffered whole and parsed once
 * its end marker arrives (or at `end()`). A start marker opens a block only where the answer's
 * Markdown lets it be a call (see `markerPosition` in text-context.ts) and only while the body opens the way the
 * format's calls do. Decisions depend only on the text, never on how it was chunked, which is what
 * makes every split of the same output give the same events.
 */
export function createMarkerScanner(spec: ScannerSpec): ToolCallTextParser {
  const state: ScannerState = {
    held: "",
    open: null,
    candidate: null,
    sawContent: false,
    lastChar: "",
    context: createTextContext(),
    recent: "",
    out: [],
  };
  const run = (input: string, final: boolean): ToolParseEvent[] => {
    state.out = [];
    drain(spec, state, input, final);
    return state.out;
  };
  return {
    feed: (chunk) => run(chunk, false),
    end: () => run("", true),
  };
}

function emit(state: ScannerState, event: ToolParseEvent): void {
  const { out } = state;
  const last = out.at(-1);
  if (event.type === "text" && last?.type === "text") out[out.length - 1] = { type: "text", text: last.text + event.text };
  else out.push(event);
}

function settle(state: ScannerState, accepted: boolean): void {
  const settled = state.candidate;
  if (settled === null) return;
  state.candidate = null;
  if (accepted) for (const event of settled.events) emit(state, event);
  else if (settled.verbatim !== "") emit(state, { type: "text", text: settled.verbatim });
}

/**
 * Text outside blocks, through the Markdown context; a waiting candidate is decided by it: a
 * sentence call by what follows it on its line, a fenced call by whether anything follows the fence.
 */
function pushText(state: ScannerState, text: string): void {
  if (text === "") return;
  if (!state.sawContent && !isBlank(text)) state.sawContent = true;
  state.recent = (text.length >= MAX_INTRO ? text : state.recent + text).slice(-MAX_INTRO);
  state.lastChar = text.slice(-1);
  let index = 0;
  const { candidate, context } = state;
  if (candidate !== null) {
    let decision: boolean | null = null;
    for (; index < text.length; index++) {
      const code = text.charCodeAt(index);
      decision = decide(candidate, context, code);
      if (decision !== null) break;
      advanceContext(context, code);
    }
    const waited = text.slice(0, index);
    candidate.verbatim += waited;
    // Around a fenced call only its fences and whitespace wait here; they go with the fence.
    if (candidate.kind === "sentence" && waited !== "") candidate.events.push({ type: "text", text: waited });
    if (decision === null) return;
    settle(state, decision);
  }
  const rest = text.slice(index);
  advanceContextOver(context, rest);
  emit(state, { type: "text", text: rest });
}

/** Whether the character `code` accepts (true) or rejects (false) the candidate, or null to go on. */
function decide(waiting: Candidate, context: TextContext, code: number): boolean | null {
  const space = code === 32 || code === 9 || code === 13;
  if (waiting.kind === "sentence") {
    if (space) return null;
    return code === 10;
  }
  // A backtick may still belong to the closing run: asking whether the fence is closed would settle
  // the run before it ends, too short to close it, and leave the context inside the fence for good.
  if (code === BACKTICK && context.fence > 0) return null;
  if (!fenceClosed(context)) {
    // Inside the fence only whitespace and the closing backticks may follow the calls.
    return space || code === 10 ? null : false;
  }
  // After the closing fence: its line, then nothing but whitespace until the answer ends, but for
  // one stray closing tag.
  if (space || code === 10) return waiting.stray === "" || waiting.stray === STRAY_END ? null : false;
  const stray = waiting.stray + String.fromCharCode(code);
  if (!STRAY_END.startsWith(stray)) return false;
  waiting.stray = stray;
  return null;
}

/** The marker opened no call: it is text, and what followed it is read again. */
function rejectBlock(state: ScannerState, open: OpenBlock, raw: string): string {
  pushText(state, open.lead + open.block.start);
  return raw.slice(open.block.start.length);
}

/** Parses a finished block; returns the text to read again when it was no call. */
function finishBlock(spec: ScannerSpec, state: ScannerState, open: OpenBlock, raw: string, terminated: boolean): string | null {
  const { block, precededBy, position } = open;
  const bodyEnd = terminated && block.end !== null ? raw.length - block.end.length : raw.length;
  const body = raw.slice(block.start.length, bodyEnd);
  // A marker at the very end of the answer, with nothing after it, was named, not used.
  if (!open.opened && block.head !== undefined && isBlank(body) && !terminated) return rejectBlock(state, open, raw);
  // A doubtful marker whose end never came was named in a last line of prose.
  if (open.doubtful && !terminated) return rejectBlock(state, open, raw);
  // Without markers only a head that opened makes a call: a fence closed on `{"na` is data.
  if (!open.opened && (block.fenceInfo !== undefined || block.atLineStart === true)) return rejectBlock(state, open, raw);
  const events = spec.parse({ block, body, raw, terminated, precededBy });
  if (events === null) return rejectBlock(state, open, raw);
  const broken = events.some((event) => event.type === "invalid_call");
  // Prose never gets a note: a broken call in the middle of a sentence is just the sentence.
  if (position === "sentence" && state.candidate === null && (broken || continuesLine(events))) return rejectBlock(state, open, raw);
  state.lastChar = raw.slice(-1);
  advanceContextOver(state.context, open.lead);
  afterCall(state.context, raw.length);
  state.recent = "";
  if (state.candidate !== null) {
    state.candidate.verbatim += open.lead + raw;
    state.candidate.events.push(...events);
  } else if (position === "sentence" || position === "fence") {
    state.candidate = { kind: position, verbatim: open.lead + raw, events, stray: "" };
  } else {
    for (const event of events) emit(state, event);
  }
  return null;
}

function drain(spec: ScannerSpec, state: ScannerState, input: string, final: boolean): void {
  let pending = input;
  for (;;) {
    if (state.open !== null) {
      const open = state.open;
      const closeAt = appendToBlock(spec, open, pending);
      pending = "";
      if (closeAt === -2) {
        state.open = null;
        pending = rejectBlock(state, open, blockText(open));
        continue;
      }
      if (closeAt === -1) {
        if (!final) return;
        state.open = null;
        pending = finishBlock(spec, state, open, blockText(open), false) ?? "";
        continue;
      }
      const text = blockText(open);
      state.open = null;
      const again = finishBlock(spec, state, open, text.slice(0, closeAt), open.block.end !== null);
      pending = (again ?? "") + text.slice(closeAt);
      continue;
    }
    const text = state.held + pending;
    pending = "";
    const found = findStartMarker(spec.blocks, state, text);
    if (found.hit === null) {
      const keep = final ? 0 : found.keep;
      pushText(state, text.slice(0, text.length - keep));
      state.held = text.slice(text.length - keep);
      // A closing tag cut short is not the stray one: the answer went on after the fence.
      if (final && state.open === null) settle(state, state.candidate === null || state.candidate.stray === "" || state.candidate.stray === STRAY_END);
      return;
    }
    const { hit, leadStart } = found;
    pushText(state, text.slice(0, leadStart));
    state.held = "";
    state.sawContent = true;
    state.open = {
      block: hit.block,
      precededBy: state.lastChar,
      position: hit.position,
      lead: text.slice(leadStart, hit.index),
      chunks: [],
      length: 0,
      tail: "",
      prefix: "",
      opened: hit.block.head === undefined,
      doubtful: false,
      json: hit.block.jsonToEnd === true ? followJsonValues(STRAY_END) : null,
    };
    pending = text.slice(hit.index);
  }
}
