import type { CompiledProfile } from "../compile/routing-table.js";
import { answerCapFor } from "../shared/small-context.js";

/**
 * The profile as one answer is asked of it: in a small context, its max_output_tokens lowered to what
 * leaves Claude Code's next request room (answerCapFor), with that cap, so the answer's note names the
 * context rather than max_output_tokens. `promptTokens`: the trimmed prompt's estimate; `carriedTokens`:
 * what of it the next request carries again (a compaction's system prompt and tools, see TrimReport).
 */
export function profileForAnswer(profile: CompiledProfile, promptTokens: number, carriedTokens?: number): { profile: CompiledProfile; contextCap?: number } {
  const cap = answerCapFor(profile.contextWindow, profile.inputBudget, promptTokens, carriedTokens);
  if (cap === undefined || cap >= profile.maxOutputTokens) return { profile };
  return { profile: { ...profile, maxOutputTokens: cap }, contextCap: cap };
}
