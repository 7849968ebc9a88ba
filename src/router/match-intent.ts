import type { IntentRule } from "./compile-rules.js";
import type { RequestFacts } from "./describe-request.js";

/**
 * The first intent whose every condition holds, or undefined. The cheap conditions come first, so a
 * prompt regex only reads a text its intent could take (`max_chars: 80` spares the regexes a 1 MB
 * prompt); the regexes run in linear time either way (see compileLinearRegex).
 */
export function matchIntent(intents: readonly IntentRule[], facts: RequestFacts): IntentRule | undefined {
  return intents.find((intent) => {
    const text = facts.latestUserText;
    if (intent.minChars !== undefined && text.length < intent.minChars) return false;
    if (intent.maxChars !== undefined && text.length > intent.maxChars) return false;
    if (intent.turn !== undefined && intent.turn !== facts.turn) return false;
    if (intent.hasImages !== undefined && intent.hasImages !== facts.hasImages) return false;
    if (intent.minTokens !== undefined && facts.estimatedTokens < intent.minTokens) return false;
    if (intent.effort !== undefined && !intent.effort.some((level) => level === facts.effort)) return false;
    if (intent.prompt.length > 0 && !intent.prompt.some((re) => re.test(text))) return false;
    if (intent.notPrompt.some((re) => re.test(text))) return false;
    return true;
  });
}
