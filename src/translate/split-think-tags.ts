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

/**
 * Splits reasoning out of content for backends that run no reasoning parser and leave the markup in
 * the text: `<think>…</think>`, `<seed:think>…</seed:think>`, `[THINK]…[/THINK]`, harmony's analysis
 * channel… (see family-markup.ts). Reasoning opens only where the model's format puts it, at the
 * start of the answer (after whitespace or earlier reasoning), as llama.cpp's parsers read it: a
 * marker later in the answer is the model writing about the markup, and stays text. Inside
 * reasoning only its own close marker (or an `endsBefore` marker, kept for the answer) counts.
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
    inReasoning = undefined;
    // A call straight from the thoughts begins the answer: nothing after it opens reasoning again.
    if (consumed === 0) atAnswerStart = false;
    return { parts: [{ kind: "reasoning", text: buffer.slice(0, at) }], rest: buffer.slice(at + consumed) };
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
    push(parts, inReasoning === undefined ? "text" : "reasoning", held);
    held = "";
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
