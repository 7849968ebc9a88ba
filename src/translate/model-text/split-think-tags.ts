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
  const opens = markers.flatMap((pair) => pair.open.map((open) => ({ open, pair })));
  // Per pair: what could begin the marker that ends it.
  const partialEnd = new Map(markers.map((pair) => [pair, createPartialMarkerMatcher([pair.close, ...(pair.endsBefore ?? [])])]));
  let inReasoning: ReasoningMarkers | undefined;
  // Nothing but whitespace and reasoning so far: a reasoning marker here is the model's own.
  let atAnswerStart = true;
  let held = "";
  // `held` starts with an `endsBefore` marker seen inside reasoning: reasoning if a close follows, else the answer.
  let deferred = false;
  // How much of a deferred `held` has been searched for the close already (a long call in 1-character chunks stays linear).
  let searched = 0;

  function feed(text: string): ContentPart[] {
    // Past the answer's start nothing opens reasoning: text passes as it is.
    if (inReasoning === undefined && !atAnswerStart) return text === "" ? [] : [{ kind: "text", text }];
    const parts: ContentPart[] = [];
    let buffer = held + text;
    held = "";
    while (buffer !== "") {
      const step = inReasoning === undefined ? readAnswerStart(buffer) : readReasoning(buffer, inReasoning);
      for (const part of step.parts) push(parts, part.kind, part.text);
      if (step.rest === undefined) break;
      buffer = step.rest;
    }
    return parts;
  }

  interface Step {
    readonly parts: readonly ContentPart[];
    /** What is left to read in the new state; undefined when the buffer is used up or held. */
    readonly rest?: string;
  }

  /** At the answer's start: whitespace, then an open marker, a partial one (held), or the answer. */
  function readAnswerStart(buffer: string): Step {
    const lead = buffer.length - buffer.trimStart().length;
    const head = buffer.slice(lead);
    // Whitespace goes out as text at once (holding it would make a run of newlines quadratic).
    const space: ContentPart[] = [{ kind: "text", text: buffer.slice(0, lead) }];
    if (head === "") return { parts: space };
    const hit = longestOpenAtStart(head);
    if (hit !== undefined) {
      inReasoning = hit.pair;
      return { parts: space, rest: head.slice(hit.open.length) };
    }
    if (opens.some(({ open }) => open.length > head.length && open.startsWith(head))) {
      held = head;
      return { parts: space };
    }
    atAnswerStart = false;
    return { parts: [{ kind: "text", text: buffer }] };
  }

  /** Inside reasoning: up to its close marker (consumed) or an early end (left for the answer). */
  function readReasoning(buffer: string, pair: ReasoningMarkers): Step {
    if (deferred) return readDeferred(buffer, pair);
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
      const keep = partialEnd.get(pair)?.(buffer) ?? 0;
      held = buffer.slice(buffer.length - keep);
      return { parts: [{ kind: "reasoning", text: buffer.slice(0, buffer.length - keep) }] };
    }
    if (consumed === 0) {
      // A call in the thoughts: theirs if they close after it, the answer's if they never do.
      deferred = true;
      searched = 0;
      return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at) };
    }
    inReasoning = undefined;
    return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at + consumed) };
  }

  /** Held from a call marker inside reasoning: the close makes it all reasoning; too long, it is the answer. */
  function readDeferred(buffer: string, pair: ReasoningMarkers): Step {
    const at = buffer.indexOf(pair.close, Math.max(0, searched - pair.close.length + 1));
    if (at !== -1) {
      deferred = false;
      inReasoning = undefined;
      return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at + pair.close.length) };
    }
    if (buffer.length <= MAX_DEFERRED_CHARS) {
      held = buffer;
      searched = buffer.length;
      return { parts: [] };
    }
    return answerFromCall(buffer);
  }

  /** The call straight from the thoughts begins the answer: nothing after it opens reasoning again. */
  function answerFromCall(buffer: string): Step {
    deferred = false;
    inReasoning = undefined;
    atAnswerStart = false;
    return { parts: [], rest: buffer };
  }

  function longestOpenAtStart(head: string): (typeof opens)[number] | undefined {
    let best: (typeof opens)[number] | undefined;
    for (const candidate of opens) {
      if (head.startsWith(candidate.open) && candidate.open.length > (best?.open.length ?? 0)) best = candidate;
    }
    return best;
  }

  function end(): ContentPart[] {
    const parts: ContentPart[] = [];
    push(parts, inReasoning === undefined || deferred ? "text" : "reasoning", held);
    held = "";
    deferred = false;
    return parts;
  }

  function push(parts: ContentPart[], kind: ContentPart["kind"], text: string): void {
    if (text === "") return;
    const last = parts.at(-1);
    if (last?.kind === kind) last.text += text;
    else parts.push({ kind, text });
  }

  return { feed, end };
}
