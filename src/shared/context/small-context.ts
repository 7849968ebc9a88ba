import { budgetWithin } from "./answer-reserve.js";
import { compactAt } from "./compaction-point.js";

/**
 * What a small context means for a Claude Code session, from measurements of what it sends (trimmed
 * by mallex, estimated at 3.5 characters a token as every stage estimates):
 *
 * - its first turn, trimmed for a medium profile: ~2,000 tokens (2.1.197, `-p`; 2.1.330: ~1,400);
 * - its compaction request (`/compact`, or its own when a turn nears the window): the conversation,
 *   plus ~1,700–1,800 tokens of summary instructions (5,978 characters in 2.1.197, 6,361 in 2.1.330);
 * - it compacts at 70% of the prompt budget (claude-context-env.ts), the budget being 75% of the
 *   context: at 0.525 × the context.
 *
 * So the conversation a session holds between compactions is about 0.525 × context − 2,000 tokens:
 * ~150 at 4 K (every turn compacts: so a 4 K session is trimmed as a small model, ~640 tokens, see
 * leavesRoomToTalk), ~2,300 at 8 K, ~6,600 at 16 K, ~15,000 at 32 K. Under 32 K a session compacts
 * every few turns, and an answer the size of a file fills what is left: such a context is "small",
 * mallex warns at start-up and caps each answer (answerCapFor).
 */
export const SMALL_CONTEXT_TOKENS = 32_768;

/** The context to suggest instead: the smallest that is not small. */
export const SUGGESTED_CONTEXT_TOKENS = SMALL_CONTEXT_TOKENS;

/** Whether a model's context (in tokens; undefined: not known) is small for Claude Code. */
export function isSmallContext(contextSize: number | undefined): contextSize is number {
  return contextSize !== undefined && contextSize < SMALL_CONTEXT_TOKENS;
}

/**
 * The room a small context keeps for the next message (a sixteenth of it): what an answer's cap leaves
 * for Claude Code's next request, and the least an answer gets (answerCapFor); the tail of a cut answer
 * that Claude Code's request to go on keeps (fitContinuation).
 */
export function nextMessageRoom(contextSize: number): number {
  return Math.floor(contextSize / 16);
}

/**
 * How many tokens of mallex's estimate (3.5 characters each) an answer's token may count for in the
 * next request: measured, 4,261 characters for 826 tokens from a random-weight model (1.47); English
 * and code run nearer 1.0–1.2.
 */
const ANSWER_TOKEN_ESTIMATE = 1.5;

/**
 * The most tokens an answer may take in a small context, for a prompt of `promptTokens` (estimated,
 * as trimmed) within a prompt budget of `budget`; undefined where the context is not small.
 * `carriedTokens`: the part of this prompt Claude Code's next request carries again (all of it, but
 * for a compaction, whose next request carries its summary instead of the conversation).
 *
 * Why: Claude Code's next request carries this prompt and this answer again, plus what comes next —
 * its continuation ("Output token limit hit…", ~50 tokens), the user's next prompt, or a tool result
 * (shortened to fit by fitToBudget). An answer that fills the context leaves that request over the
 * budget: refused as "prompt is too long", and in `-p` mode the session ends there. So the answer is
 * held to what keeps carried prompt + answer (counted as the next request's estimate will count it)
 * + a sixteenth of the context (the next message's room) within the budget. Its compaction request
 * is the conversation plus ~1,750 tokens of instructions, more than a 4 K context leaves after any
 * answer: mallex fits that one itself (fitCompaction), so the cap does not reserve for it.
 *
 * The cap is never under a sixteenth of the context, so a long prompt still gets an answer: a prompt
 * past budget − 1/8 of the context (62.5% of it) is past Claude Code's compaction point (52.5%), so
 * its next request is a compaction, which mallex fits. Nor does prompt + answer pass the context less
 * that sixteenth, the room left for the estimate to fall short of the server's count.
 */
export function answerCapFor(
  contextSize: number | undefined,
  budget: number | undefined,
  promptTokens: number,
  carriedTokens = promptTokens,
): number | undefined {
  if (!isSmallContext(contextSize)) return undefined;
  const room = nextMessageRoom(contextSize);
  const limit = Math.min(budget ?? contextSize, contextSize);
  const forNext = Math.max(room, Math.floor((limit - carriedTokens - room) / ANSWER_TOKEN_ESTIMATE));
  return Math.max(1, Math.min(contextSize - promptTokens - room, forNext));
}

/**
 * Whether a profile's trimmed system prompt and tools (`prefixTokens`, estimated) leave a session room
 * to talk in its context: at most half of Claude Code's compaction point (compactAt of the prompt
 * limit), since every request of the session carries them and Claude Code compacts once they and the
 * conversation reach it. Always where the context is not small. Why half: at 4 K a medium profile's
 * ~2,000 tokens left ~150 of the 2,150 to the conversation, so Claude Code compacted before every
 * request, its summary capped at the least an answer gets and cut there, and 2.1.197 ended a turn
 * "Autocompact is thrashing" after 3 compactions within it; a small profile's ~640 leave ~1,500.
 */
export function leavesRoomToTalk(contextSize: number | undefined, budget: number | undefined, prefixTokens: number): boolean {
  if (!isSmallContext(contextSize)) return true;
  return prefixTokens <= compactAt(budgetWithin(contextSize, budget)) / 2;
}
