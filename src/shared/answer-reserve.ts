/** Share of a model's context kept free for the answer: the prompt budget is the rest. */
export const ANSWER_RESERVE = 0.25;

/** The prompt budget a context of `contextSize` tokens leaves once the answer has its room. */
export function budgetForContext(contextSize: number): number {
  return Math.floor(contextSize * (1 - ANSWER_RESERVE));
}
