/** Share of a model's context kept free for the answer: the prompt budget is the rest. */
export const ANSWER_RESERVE = 0.25;

/**
 * The most prompt tokens a profile's model is sent: its declared budget, never more than its context
 * (declared or discovered) leaves once the answer has its share; the declared budget alone where the
 * context is not known.
 */
export function budgetWithin(contextSize: number, declared: number | undefined): number;
export function budgetWithin(contextSize: number | undefined, declared: number | undefined): number | undefined;
export function budgetWithin(contextSize: number | undefined, declared: number | undefined): number | undefined {
  if (contextSize === undefined) return declared;
  return Math.min(declared ?? Infinity, Math.floor(contextSize * (1 - ANSWER_RESERVE)));
}
