import type { CompiledProfile } from "../compile/routing-table.js";
import type { SmallerSize } from "../trim/plan-trim.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { ThinkingDecision } from "../translate/decide-thinking.js";
import { describeRequestFields } from "../translate/describe-request-fields.js";
import type { TranslateOptions } from "../translate/translate-options.js";

/** What the request became: its translation's options, the profile that answers, the size it was trimmed as when smaller than the profile's, and the thinking decided. */
export interface CallNotesFor {
  options: TranslateOptions;
  profile: CompiledProfile;
  smaller: SmallerSize | undefined;
  thinking: ThinkingDecision;
}

/**
 * Said once per request, on its log line: what became of the Anthropic-only settings (thinking,
 * context_management), what the profile hid, and a trim as a smaller model's, and why.
 */
export function callNotes(request: MessagesRequest, { options, profile, smaller, thinking }: CallNotesFor): string[] {
  const smallerSize =
    smaller === undefined
      ? undefined
      : smaller.why === "budget"
        ? `trimmed as a ${smaller.size} model to fit the ${profile.inputBudget}-token budget`
        : `trimmed as a ${smaller.size} model to leave the conversation room before Claude Code compacts in the ${profile.contextWindow}-token context`;
  return [smallerSize, describeRequestFields(request, options), thinking.strippedByProfile ? `thinking stripped by profile ${profile.name}` : undefined].filter(
    (note) => note !== undefined,
  );
}
