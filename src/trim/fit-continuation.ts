import type { Continuation } from "../router/continued-request.js";
import type { AnthropicContentBlock, AnthropicMessageParam } from "../translate/anthropic-types.js";
import { removeMallexNotes } from "../translate/clean-history-for-claude.js";

/** What goes before the tail of a cut answer whose start was left out. */
const GAP = "…";

/**
 * Claude Code's request to go on with a cut answer (recognizeContinuation), fitted to a small context:
 * the pieces of the cut answer become one assistant turn, without mallex's notes of the cap (the
 * request to go on says it was cut), of which only its last `tailChars` characters are kept — what
 * the model needs to pick up mid-thought — followed by Claude Code's last request to go on, as sent.
 *
 * Why: Claude Code asks to go on up to 3 times, each time with every piece before, and decides
 * whether to compact from the last answer's usage. In a small context each piece would push its count
 * further past its compaction point, and a compaction before each request to go on (it keeps the last
 * piece as it was, so a small context refills at once) is what Claude Code ends as "Autocompact is
 * thrashing" after 3. Fitted, each request to go on is the size of the first, so the count stays
 * where the first piece left it. The whole answer is in the conversation Claude Code sends on the next
 * turn, which it compacts (or mallex refuses as too long, and it compacts): so each piece is still capped
 * counting those before it (TrimReport.continuation, profileForAnswer).
 *
 * A piece's thinking is left out with its notes. Undefined when a piece holds anything else (a tool
 * call): that request is sent as it came.
 */
export function fitContinuation(
  messages: readonly AnthropicMessageParam[],
  continuation: Continuation,
  tailChars: number,
): { messages: AnthropicMessageParam[]; charsRemoved: number } | undefined {
  const tail = messages.slice(continuation.answerStart);
  const pieces = tail.filter((_, index) => index % 2 === 0);
  let answer = "";
  for (const piece of pieces) {
    const text = pieceText(piece);
    if (text === undefined) return undefined;
    answer += text;
  }
  const kept = answer.length > tailChars ? GAP + sliceFromEnd(answer, tailChars) : answer;
  const answerAndAsk: AnthropicMessageParam[] = [{ role: "assistant", content: [{ type: "text", text: kept }] }, tail.at(-1)!];
  return {
    messages: [...messages.slice(0, continuation.answerStart), ...answerAndAsk],
    charsRemoved: JSON.stringify(tail).length - JSON.stringify(answerAndAsk).length,
  };
}

/** A piece's words, without mallex's notes; undefined when it carries a tool call or anything else but text. */
function pieceText(piece: AnthropicMessageParam): string | undefined {
  const blocks: AnthropicContentBlock[] = typeof piece.content === "string" ? [{ type: "text", text: piece.content }] : piece.content;
  let text = "";
  for (const block of blocks) {
    if (block.type === "text") text += removeMallexNotes(block.text);
    else if (block.type !== "thinking" && block.type !== "redacted_thinking") return undefined;
  }
  return text;
}

/** The last `chars` characters of `text`, never starting inside a surrogate pair. */
function sliceFromEnd(text: string, chars: number): string {
  let start = text.length - chars;
  const code = text.charCodeAt(start);
  if (code >= 0xdc00 && code <= 0xdfff) start++;
  return text.slice(start);
}
