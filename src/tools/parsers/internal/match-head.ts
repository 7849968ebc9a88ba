/**
 * A call's opening, matched step by step so that a prefix of it can wait for more text. Used to
 * tell, a few characters after a start marker, whether a call follows or the marker was only named
 * ("the <tool_call> tag wraps…"): the text is then released at once instead of being held to the end.
 */

/** A literal, or a sticky regex that reads a run (it may match empty only where the run is optional). */
export type HeadStep = string | RegExp;
/** Any of several openings. */
export type HeadAlternatives = readonly (readonly HeadStep[])[];

export type HeadMatch = { readonly kind: "partial" } | { readonly kind: "no" } | { readonly kind: "yes"; readonly name: string };

export const SPACE = /\s*/y;
/** A tool name as the formats write it (`Read`, `mcp__git__log`, `functions.get_weather`). */
export const NAME = /[\w.:-]+/y;

/** Matches `steps` at the start of `text`; the name is what the last regex step other than spaces read. */
export function matchHead(text: string, steps: readonly HeadStep[]): HeadMatch {
  let at = 0;
  let name = "";
  for (const step of steps) {
    if (typeof step === "string") {
      const seen = text.slice(at, at + step.length);
      if (!step.startsWith(seen)) return { kind: "no" };
      if (seen.length < step.length) return { kind: "partial" };
      at += step.length;
      continue;
    }
    if (at === text.length) return { kind: "partial" };
    step.lastIndex = at;
    const run = step.exec(text)?.[0];
    if (run === undefined) return { kind: "no" };
    if (step !== SPACE) name = run;
    at += run.length;
    // The run may go on in the next chunk.
    if (at === text.length) return { kind: "partial" };
  }
  return { kind: "yes", name };
}

/** The best of the alternatives: yes (the first, with its name) over partial over no. */
export function matchHeads(text: string, alternatives: HeadAlternatives): HeadMatch {
  let partial = false;
  for (const steps of alternatives) {
    const match = matchHead(text, steps);
    if (match.kind === "yes") return match;
    if (match.kind === "partial") partial = true;
  }
  return { kind: partial ? "partial" : "no" };
}

/** JSON (an object or a list of them) right after the marker: Hermes, Granite, Nemotron, Apriel… */
export const JSON_HEAD: HeadAlternatives = [
  [SPACE, "{"],
  [SPACE, "["],
];
