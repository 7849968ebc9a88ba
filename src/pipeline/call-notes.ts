import type { Size } from "../../generated/config.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import type { ThinkingDecision } from "../translate/decide-thinking.js";
import { describeRequestFields } from "../translate/describe-request-fields.js";
import type { TranslateOptions } from "../translate/translate-options.js";

/** What the request became: its translation's options, the profile that answers, the size it was trimmed as when smaller than the profile's, and the thinking decided. */
export interface CallNotesFor {
  options: TranslateOptions;
  profile: CompiledProfile;
  smaller: Size | undefined;
  thinking: ThinkingDecision;
}

/**
 * Said once per request, on its log line: what became of the Anthropic-only settings (thinking,
 * context_management), what the profile hid, and a trim as a smaller model's to fit the budget.
 */
export function callNotes(request: MessagesRequest, { options, profile, smaller, thinking }: CallNotesFor): string[] {
  const smallerSize = smaller === undefined ? undefined : `trimmed as a ${smaller} model to fit the ${profile.inputBudget}-token budget`;
  return [smallerSize, describeRequestFields(request, options), thinking.strippedByProfile ? `thinking stripped by profile ${profile.name}` : undefined].filter(
    (note) => note !== undefined,
  );
}
