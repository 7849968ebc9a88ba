import type { CompiledProfile } from "../../compile/routing-table.js";
import { routeModelName, type BackendAvailability } from "../../router/select-route.js";
import type { ServerContext } from "../../pipeline/server-context.js";

/**
 * GET /v1/models and GET /v1/models/{id}, as the API answers them (SDK `ModelInfo`, `Page`): the list
 * is the config's profiles (Claude Code can select one with --model); one model answers for every
 * name that routes somewhere, its display_name saying to which profile and why.
 *
 * @see docs/proxy.md, its table of routes; the shapes are those of the Models API ("List Models") in
 *   Anthropic's API reference.
 */
export type ModelInfo = ReturnType<typeof toModelObject>;

/** `created_at` is when the server loaded the routing table the models come from (RFC 3339). */
export function toModelObject(profile: CompiledProfile, createdAt: string, id = profile.name, displayName = profileDisplayName(profile)) {
  return {
    type: "model" as const,
    id,
    display_name: displayName,
    created_at: createdAt,
    capabilities: null,
    deprecated_at: null,
    lifecycle: "active" as const,
    line: null,
    max_input_tokens: profile.contextWindow ?? null,
    max_tokens: profile.maxOutputTokens,
    retires_at: null,
  };
}

// A profile served by another model than its own (--embedded) is named after that one.
const profileDisplayName = (profile: CompiledProfile) => profile.servedName ?? profile.description ?? `${profile.model} (${profile.name})`;

export type ModelsPage =
  { ok: true; page: { data: ModelInfo[]; has_more: boolean; first_id: string | null; last_id: string | null } } | { ok: false; message: string };

/**
 * One page of the profiles, in config order. `after_id` pages forward from a model, `before_id`
 * backward (the `limit` models right before it); `has_more` says whether more lie that way.
 * `limit`: 1–1000, default 20.
 */
export function listModels(ctx: ServerContext, query: URLSearchParams): ModelsPage {
  const limitText = query.get("limit");
  const limit = limitText === null ? 20 : Number(limitText);
  if (!Number.isInteger(limit)) return { ok: false, message: "limit: Input should be a valid integer" };
  if (limit < 1) return { ok: false, message: "limit: Input should be greater than or equal to 1" };
  if (limit > 1000) return { ok: false, message: "limit: Input should be less than or equal to 1000" };
  const afterId = query.get("after_id");
  const beforeId = query.get("before_id");
  if (afterId !== null && beforeId !== null) return { ok: false, message: "before_id: cannot be used together with after_id" };

  const all = Object.values(ctx.table.profiles).map((profile) => toModelObject(profile, ctx.loadedAt));
  const cursor = afterId ?? beforeId;
  const at = cursor === null ? -1 : all.findIndex((model) => model.id === cursor);
  if (cursor !== null && at < 0) return { ok: false, message: `${afterId !== null ? "after_id" : "before_id"}: no model has the id ${cursor}` };

  const [start, end] = beforeId !== null ? [Math.max(0, at - limit), at] : [at + 1, Math.min(all.length, at + 1 + limit)];
  const data = all.slice(start, end);
  const has_more = beforeId !== null ? start > 0 : end < all.length;
  return { ok: true, page: { data, has_more, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null } };
}

/**
 * The model `id` names: a profile, or the profile a Claude or aliased name routes to now (past tiers
 * whose backend cannot serve; as configured when none can). Undefined: the name routes nowhere.
 */
export function retrieveModel(ctx: ServerContext, id: string, available: BackendAvailability): ModelInfo | undefined {
  if (Object.hasOwn(ctx.table.profiles, id)) return toModelObject(ctx.table.profiles[id]!, ctx.loadedAt);
  const now = routeModelName(id, ctx.table, ctx.rules, available);
  const routed = now === undefined || now.ok ? now : routeModelName(id, ctx.table, ctx.rules, () => ({ ok: true }));
  if (!routed?.ok) return undefined;
  const { profile, reason } = routed.route;
  return toModelObject(profile, ctx.loadedAt, id, `${profileDisplayName(profile)}, via mallex profile ${profile.name} (${reason})`);
}
