import type { CompiledProfile } from "../compile/routing-table.js";
import { compactAt } from "../shared/compaction-point.js";
import { answerCapFor } from "../shared/small-context.js";

/**
 * The profile as one answer is asked of it: in a small context, its max_output_tokens lowered to what
 * leaves Claude Code's next request room (answerCapFor), with that cap, so the answer's note names the
 * context rather than max_output_tokens. `promptTokens`: the trimmed prompt's estimate; `carriedTokens`:
 * what of it the next request carries again (a compaction's system prompt and tools, see TrimReport).
 *
 * A compaction's summary is held under Claude Code's compaction point (compactAt), not only under the
 * budget: the request after it carries the summary, and past that point Claude Code compacts again at
 * once, before the answer it compacted for. (At 8,192 tokens SmolLM2's summaries ran to ~1,800 tokens,
 * four times over when it did not stop: a turn outran 7 minutes.)
 */
export function profileForAnswer(profile: CompiledProfile, promptTokens: number, carriedTokens?: number): { profile: CompiledProfile; contextCap?: number } {
  const limit = carriedTokens !== undefined && profile.inputBudget !== undefined ? compactAt(profile.inputBudget) : profile.inputBudget;
  const cap = answerCapFor(profile.contextWindow, limit, promptTokens, carriedTokens);
  if (cap === undefined || cap >= profile.maxOutputTokens) return { profile };
  return { profile: { ...profile, maxOutputTokens: cap }, contextCap: cap };
}
