import type { AnthropicContentBlock, AnthropicMessageParam } from "../translate/anthropic-types.js";

/**
 * What Claude Code sends after an answer that ended `max_tokens` or `model_context_window_exceeded` (it
 * treats the two alike): the conversation again, the cut answer, then a user turn of its own asking to
 * go on — up to 3 times a turn, each time with the pieces before (2.1.100's `cli.js`, the strings of
 * 2.1.197's and 2.1.332's binaries). Every wording starts one of these ways:
 * - "Output token limit hit. Resume directly — no apology, no recap of what you were doing. Pick up
 *   mid-thought if that is where the cut happened. Break remaining work into smaller pieces." (all
 *   three); 2.1.332 also "Output token limit hit while you were still reasoning…", "…hit. Your caller
 *   does not receive an answer in pieces…" (a subagent), "…hit again…" (a subagent's, a summary's last);
 * - "Your response was cut off because it exceeded the output token limit…" (2.1.332: one that stopped
 *   inside a code block or a tool call);
 * - "[Your previous response reached the output limit with no visible output…]" (2.1.332: an empty one);
 * - "Your response above was cut off mid-stream…" (2.1.332: a stream that broke off).
 * 2.1.332 sends it inside a <system-reminder>, and when it compacts before going on, in the same turn
 * as the summary instructions.
 */
const GO_ON =
  /^(?:Output token limit hit\b|Your response was cut off because it exceeded the output token limit\b|\[Your previous response reached the output limit\b|Your response above was cut off mid-stream\b)/;

/** How many times Claude Code asks to go on with one cut answer (a compaction's summary too) before it gives up on it. */
export const MAX_GO_ON_REQUESTS = 3;

/** Claude Code's request to go on with a cut answer: where in its messages the answer being continued starts. */
export interface Continuation {
  /**
   * The index of the cut answer's first piece. From there the messages alternate: a piece (an assistant
   * turn), Claude Code's request to go on (a user turn), to the end. The messages before it are the
   * request whose answer was cut: the user's prompt or a tool result last.
   */
  answerStart: number;
}

/** A whole <system-reminder> block, and what it wraps: 2.1.332 sends its request to go on as one. */
const REMINDER = /^\s*<system-reminder>\s*([\s\S]*?)\s*<\/system-reminder>\s*$/;

/**
 * Whether a user turn is Claude Code's request to go on after a cut: its text is that request, as is
 * or in a <system-reminder> (2.1.332's), beside nothing but other reminders. A turn that also carries
 * other words — the user's, or the summary instructions 2.1.332 puts after it when it compacts first
 * — is not one.
 */
export function isGoOnTurn(message: AnthropicMessageParam | undefined): boolean {
  if (message?.role !== "user") return false;
  const blocks: AnthropicContentBlock[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
  let asked = false;
  for (const block of blocks) {
    if (block.type !== "text") return false;
    const wrapped = REMINDER.exec(block.text)?.[1];
    if (GO_ON.test((wrapped ?? block.text).trimStart())) asked = true;
    else if (wrapped === undefined && block.text.trim() !== "") return false;
  }
  return asked;
}

/**
 * Claude Code's request to go on with a cut answer, known by its structure: it ends with one or more
 * (assistant piece, request to go on) pairs. Undefined for any other request, a compaction's own
 * continuation included (its pairs follow the summary instructions: see recognizeCompaction, which
 * the caller asks first).
 */
export function recognizeContinuation(messages: readonly AnthropicMessageParam[]): Continuation | undefined {
  let at = messages.length;
  while (at >= 2 && messages[at - 2]!.role === "assistant" && isGoOnTurn(messages[at - 1])) at -= 2;
  return at < messages.length && at > 0 ? { answerStart: at } : undefined;
}

/**
 * The messages of the request a continuation continues (the whole list for any other request): what
 * the user asked, not Claude Code's own words, is what routes it — its requests to go on say nothing
 * of the task, and the continued answer keeps the route it started on.
 */
export function continuedMessages<M extends AnthropicMessageParam>(messages: readonly M[]): readonly M[] {
  const continuation = recognizeContinuation(messages);
  return continuation === undefined ? messages : messages.slice(0, continuation.answerStart);
}
