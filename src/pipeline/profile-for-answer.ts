import type { CompiledProfile } from "../compile/routing-table.js";
import { compactAt } from "../shared/context/compaction-point.js";
import { answerCapFor } from "../shared/context/small-context.js";
import type { TrimReport } from "../trim/trim-types.js";

/**
 * The profile as one answer is asked of it: in a small context, its max_output_tokens lowered to what
 * leaves Claude Code's next request room (answerCapFor), with that cap, so the answer's note names the
 * context rather than max_output_tokens. `promptTokens`: the trimmed prompt's estimate; `report`: what
 * the next request carries again instead, where that is not this prompt (TrimReport) — a compaction's
 * system prompt and tools, and the whole conversation of a request to go on that mallex kept to the
 * cut answer's tail, every piece of which Claude Code's next turn carries again: each piece's cap
 * counts those before it, as when the request carried them all.
 *
 * A compaction's summary is held under Claude Code's compaction point (compactAt), not only under the
 * budget: the request after it carries the summary, and past that point Claude Code compacts again at
 * once, before the answer it compacted for. (At 8,192 tokens SmolLM2's summaries ran to ~1,800 tokens,
 * four times over when it did not stop: a turn outran 7 minutes.)
 */
export function profileForAnswer(
  profile: CompiledProfile,
  promptTokens: number,
  report: Pick<TrimReport, "compaction" | "continuation"> = {},
): { profile: CompiledProfile; contextCap?: number } {
  const summary = report.compaction !== undefined;
  const limit = summary && profile.inputBudget !== undefined ? compactAt(profile.inputBudget) : profile.inputBudget;
  const carried = report.compaction?.carriedTokens ?? report.continuation?.carriedTokens;
  const cap = answerCapFor(profile.contextWindow, limit, promptTokens, carried);
  if (cap === undefined || cap >= profile.maxOutputTokens) return { profile };
  return { profile: { ...profile, maxOutputTokens: cap }, contextCap: cap };
}
