/** A piece of model content: visible text, or reasoning the model wrapped in think tags. */
export interface ContentPart {
  kind: "text" | "reasoning";
  text: string;
}

export interface ThinkTagSplitter {
  /** The next piece of content; returns the parts it completes (a possible partial tag is held). */
  feed(text: string): ContentPart[];
  /** End of content: releases held text (an unterminated think block stays reasoning). */
  end(): ContentPart[];
}

const OPEN_TAG = "<think>";
const CLOSE_TAG = "</think>";

/**
 * Splits `<think>…</think>` out of content, for backends that run no reasoning parser and leave
 * the tags in the text. Tags may be split across chunks (`<thi` + `nk>`), so a suffix that could be
 * the start of the tag being looked for is held back until the next chunk decides it. The result
 * is the same for any split of the same text (adjacent same-kind parts merged).
 */
export function createThinkTagSplitter(): ThinkTagSplitter {
  let inReasoning = false;
  let held = "";

  function feed(text: string): ContentPart[] {
    // Most chunks hold no tag and can begin none: they pass as they are.
    if (held === "" && !text.includes("<")) return text === "" ? [] : [{ kind: inReasoning ? "reasoning" : "text", text }];
    const parts: ContentPart[] = [];
    let buffer = held + text;
    held = "";
    for (;;) {
      const tag = inReasoning ? CLOSE_TAG : OPEN_TAG;
      const at = buffer.indexOf(tag);
      if (at === -1) break;
      push(parts, buffer.slice(0, at));
      buffer = buffer.slice(at + tag.length);
      inReasoning = !inReasoning;
    }
    const keep = partialTagSuffixLength(buffer, inReasoning ? CLOSE_TAG : OPEN_TAG);
    held = buffer.slice(buffer.length - keep);
    push(parts, buffer.slice(0, buffer.length - keep));
    return parts;
  }

  function end(): ContentPart[] {
    const parts: ContentPart[] = [];
    push(parts, held);
    held = "";
    return parts;
  }

  function push(parts: ContentPart[], text: string): void {
    if (text !== "") parts.push({ kind: inReasoning ? "reasoning" : "text", text });
  }

  return { feed, end };
}

/**
 * Length of the longest proper prefix of `tag` that `text` ends with. Both tags have their only `<`
 * first, so the one candidate is the suffix from the last `<`: one search, no copies.
 */
function partialTagSuffixLength(text: string, tag: string): number {
  const from = text.lastIndexOf("<");
  if (from === -1 || text.length - from >= tag.length) return 0;
  for (let i = from + 1; i < text.length; i++) if (text.charCodeAt(i) !== tag.charCodeAt(i - from)) return 0;
  return text.length - from;
}
