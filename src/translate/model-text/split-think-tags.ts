import type { ReasoningMarkers } from "./family-markup.js";
import { createPartialMarkerMatcher } from "./match-partial-marker.js";

/** A piece of model content: visible text, or reasoning the model wrapped in its reasoning markup. */
export interface ContentPart {
  kind: "text" | "reasoning";
  text: string;
}

export interface ReasoningSplitter {
  /** The next piece of content; returns the parts it completes (a possible partial marker is held). */
  feed(text: string): ContentPart[];
  /** End of content: releases held text (an unterminated reasoning block stays reasoning). */
  end(): ContentPart[];
}

const DEFAULT_MARKERS: readonly ReasoningMarkers[] = [{ open: ["<think>"], close: "</think>" }];

/** The most text held after a call marker inside reasoning, waiting for the close: past it, the call is the answer's. */
export const MAX_DEFERRED_CHARS = 4 << 20;

/**
 * Splits reasoning out of content for backends that run no reasoning parser and leave the markup in
 * the text: `<think>…</think>`, `<seed:think>…</seed:think>`, `[THINK]…[/THINK]`, harmony's analysis
 * channel… (see family-markup.ts). Reasoning opens only where the model's format puts it, at the
 * start of the answer (after whitespace or earlier reasoning), as llama.cpp's parsers read it: a
 * marker later in the answer is the model writing about the markup, and stays text. Inside
 * reasoning only its own close marker counts, or an `endsBefore` marker (a call, kept for the answer)
 * that no close marker follows: models that call straight from their thoughts never close them, while a
 * call the reasoning weighs and rejects is followed by the close (vLLM runs its reasoning parser before
 * its tool parser for this reason). So from such a marker on the text is held until the close comes
 * (it was all reasoning) or the output ends (the call was the answer), at most MAX_DEFERRED_CHARS.
 *
 * Markers may be split across chunks (`<thi` + `nk>`), so a suffix that could begin the marker being
 * looked for is held until the next chunk decides it. The result is the same for any split of the
 * same text (adjacent same-kind parts merged).
 */
export function createReasoningSplitter(markers: readonly ReasoningMarkers[] = DEFAULT_MARKERS): ReasoningSplitter {
  const s: SplitterState = {
    opens: markers.flatMap((pair) => pair.open.map((open) => ({ open, pair }))),
    partialEnd: new Map(markers.map((pair) => [pair, createPartialMarkerMatcher([pair.close, ...(pair.endsBefore ?? [])])])),
    inReasoning: undefined,
    atAnswerStart: true,
    held: "",
    deferred: false,
    searched: 0,
  };

  function feed(text: string): ContentPart[] {
    // Past the answer's start nothing opens reasoning: text passes as it is.
    if (s.inReasoning === undefined && !s.atAnswerStart) return text === "" ? [] : [{ kind: "text", text }];
    const parts: ContentPart[] = [];
    let buffer = s.held + text;
    s.held = "";
    while (buffer !== "") {
      const step = s.inReasoning === undefined ? readAnswerStart(s, buffer) : readReasoning(s, buffer, s.inReasoning);
      for (const part of step.parts) push(parts, part.kind, part.text);
      if (step.rest === undefined) break;
      buffer = step.rest;
    }
    return parts;
  }

  function end(): ContentPart[] {
    const parts: ContentPart[] = [];
    push(parts, s.inReasoning === undefined || s.deferred ? "text" : "reasoning", s.held);
    s.held = "";
    s.deferred = false;
    return parts;
  }

  return { feed, end };
}

interface OpenMarker {
  readonly open: string;
  readonly pair: ReasoningMarkers;
}

/** The splitter's markers and where it stands between chunks. */
interface SplitterState {
  readonly opens: readonly OpenMarker[];
  /** Per pair: what could begin the marker that ends it. */
  readonly partialEnd: ReadonlyMap<ReasoningMarkers, (text: string) => number>;
  inReasoning: ReasoningMarkers | undefined;
  /** Nothing but whitespace and reasoning so far: a reasoning marker here is the model's own. */
  atAnswerStart: boolean;
  held: string;
  /** `held` starts with an `endsBefore` marker seen inside reasoning: reasoning if a close follows, else the answer. */
  deferred: boolean;
  /** How much of a deferred `held` has been searched for the close already (a long call in 1-character chunks stays linear). */
  searched: number;
}

interface Step {
  readonly parts: readonly ContentPart[];
  /** What is left to read in the new state; undefined when the buffer is used up or held. */
  readonly rest?: string;
}

/** At the answer's start: whitespace, then an open marker, a partial one (held), or the answer. */
function readAnswerStart(s: SplitterState, buffer: string): Step {
  const lead = buffer.length - buffer.trimStart().length;
  const head = buffer.slice(lead);
  // Whitespace goes out as text at once (holding it would make a run of newlines quadratic).
  const space: ContentPart[] = [{ kind: "text", text: buffer.slice(0, lead) }];
  if (head === "") return { parts: space };
  const hit = longestOpenAtStart(s.opens, head);
  if (hit !== undefined) {
    s.inReasoning = hit.pair;
    return { parts: space, rest: head.slice(hit.open.length) };
  }
  if (s.opens.some(({ open }) => open.length > head.length && open.startsWith(head))) {
    s.held = head;
    return { parts: space };
  }
  s.atAnswerStart = false;
  return { parts: [{ kind: "text", text: buffer }] };
}

/** Inside reasoning: up to its close marker (consumed) or an early end (left for the answer). */
function readReasoning(s: SplitterState, buffer: string, pair: ReasoningMarkers): Step {
  if (s.deferred) return readDeferred(s, buffer, pair);
  let at = buffer.indexOf(pair.close);
  let consumed = pair.close.length;
  for (const end of pair.endsBefore ?? []) {
    const endAt = buffer.indexOf(end);
    if (endAt !== -1 && (at === -1 || endAt < at)) {
      at = endAt;
      consumed = 0;
    }
  }
  if (at === -1) {
    const keep = s.partialEnd.get(pair)?.(buffer) ?? 0;
    s.held = buffer.slice(buffer.length - keep);
    return { parts: [{ kind: "reasoning", text: buffer.slice(0, buffer.length - keep) }] };
  }
  if (consumed === 0) {
    // A call in the thoughts: theirs if they close after it, the answer's if they never do.
    s.deferred = true;
    s.searched = 0;
    return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at) };
  }
  s.inReasoning = undefined;
  return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at + consumed) };
}

/** Held from a call marker inside reasoning: the close makes it all reasoning; too long, it is the answer. */
function readDeferred(s: SplitterState, buffer: string, pair: ReasoningMarkers): Step {
  const at = buffer.indexOf(pair.close, Math.max(0, s.searched - pair.close.length + 1));
  if (at !== -1) {
    s.deferred = false;
    s.inReasoning = undefined;
    return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at + pair.close.length) };
  }
  if (buffer.length <= MAX_DEFERRED_CHARS) {
    s.held = buffer;
    s.searched = buffer.length;
    return { parts: [] };
  }
  return answerFromCall(s, buffer);
}

/** The call straight from the thoughts begins the answer: nothing after it opens reasoning again. */
function answerFromCall(s: SplitterState, buffer: string): Step {
  s.deferred = false;
  s.inReasoning = undefined;
  s.atAnswerStart = false;
  return { parts: [], rest: buffer };
}

function longestOpenAtStart(opens: readonly OpenMarker[], head: string): OpenMarker | undefined {
  let best: OpenMarker | undefined;
  for (const candidate of opens) {
    if (head.startsWith(candidate.open) && candidate.open.length > (best?.open.length ?? 0)) best = candidate;
  }
  return best;
}

function push(parts: ContentPart[], kind: ContentPart["kind"], text: string): void {
  if (text === "") return;
  const last = parts.at(-1);
  if (last?.kind === kind) last.text += text;
  else parts.push({ kind, text });
}
