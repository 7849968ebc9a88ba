import type { CompiledProfile } from "../../compile/routing-table.js";
import type { ServerContext } from "../server-context.js";

/** Anthropic's model object; local profiles listed by name (Claude Code can select them with --model). */
export function toModelObject(profile: CompiledProfile) {
  return {
    type: "model",
    id: profile.name,
    display_name: profile.description ?? `${profile.model} (${profile.name})`,
    created_at: "1970-01-01T00:00:00Z",
    ...(profile.contextWindow ? { max_input_tokens: profile.contextWindow } : {}),
    max_tokens: profile.maxOutputTokens,
  };
}

export function listModels(ctx: ServerContext) {
  const data = Object.values(ctx.table.profiles).map(toModelObject);
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
