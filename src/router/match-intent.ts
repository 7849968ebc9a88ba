import type { IntentRule } from "./compile-rules.js";
import type { RequestFacts } from "./describe-request.js";

/**
 * How much of the user's text `prompt` and `not_prompt` read: its start, as long as a unit the
 * filters look at. Linear as they are, re2js's automata take 20–110 ms a megabyte (a loaded 2-vCPU
 * machine): an intent without `max_chars` over a 30 MB prompt held the event loop for seconds. What
 * a prompt asks for is in its words, not in the megabytes pasted after them.
 */
export const INTENT_MAX_TEXT_CHARS = 64 * 1024;

/**
 * The first intent whose every condition holds, or undefined. The cheap conditions come first, so a
 * prompt regex only reads a text its intent could take (`max_chars: 80` spares the regexes a 1 MB
 * prompt); the regexes run in linear time either way (see compileLinearRegex), over at most the
 * text's first INTENT_MAX_TEXT_CHARS (`max_chars` still counts the whole text).
 */
export function matchIntent(intents: readonly IntentRule[], facts: RequestFacts): IntentRule | undefined {
  const read = facts.latestUserText.length > INTENT_MAX_TEXT_CHARS ? facts.latestUserText.slice(0, INTENT_MAX_TEXT_CHARS) : facts.latestUserText;
  return intents.find((intent) => {
    const text = facts.latestUserText;
    if (intent.minChars !== undefined && text.length < intent.minChars) return false;
    if (intent.maxChars !== undefined && text.length > intent.maxChars) return false;
    if (intent.turn !== undefined && intent.turn !== facts.turn) return false;
    if (intent.hasImages !== undefined && intent.hasImages !== facts.hasImages) return false;
    if (intent.minTokens !== undefined && facts.estimatedTokens < intent.minTokens) return false;
    if (intent.effort !== undefined && !intent.effort.some((level) => level === facts.effort)) return false;
    if (intent.prompt.length > 0 && !intent.prompt.some((re) => re.test(read))) return false;
    if (intent.notPrompt.some((re) => re.test(read))) return false;
    return true;
  });
}
