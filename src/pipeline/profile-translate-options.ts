import { serverFeaturesOf } from "../backends/server-features.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import type { ToolCallFormat } from "../tools/parsers/types.js";
import type { TranslateOptions } from "../translate/translate-options.js";

/** What a compiled profile decides about translation. mlx-lm gets no `model` (a name makes it load one). */
export function profileTranslateOptions(profile: CompiledProfile, flavor: string): TranslateOptions {
  const options: TranslateOptions = {
    maxOutputTokens: profile.maxOutputTokens,
    thinking: profile.thinking,
    toolMode: profile.toolMode,
    vision: profile.vision,
    sampling: profile.sampling,
    serverFeatures: serverFeaturesOf(flavor),
    profileName: profile.name,
  };
  // Absent: every family is watched for, mallex's own xml format included (see textToolFormat).
  if (profile.toolFormat !== undefined) options.toolFormat = profile.toolFormat as ToolCallFormat;
  if (profile.enableThinking !== undefined) options.enableThinking = profile.enableThinking;
  if (profile.oneSystemMessage === true) options.oneSystemMessage = true;
  if (flavor !== "mlx-lm") options.upstreamModel = profile.model;
  return options;
}
