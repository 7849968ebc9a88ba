import type { RoutingTable } from "../../compile/routing-table.js";

/** The compiled routing table as the dashboard's Config view shows it: where each tier goes and what decides it. */
export interface RoutingTableView {
  config: string;
  sources: string[];
  defaultTier: string;
  tiers: Array<{
    tier: string;
    profile: string;
    model: string;
    backend: string;
    backendKind: string;
    fallback?: string;
    maxTtftMs?: number;
    at?: string;
    profileAt?: string;
  }>;
  models: Array<{ glob: string; tier: string }>;
  aliases: Array<{ glob: string; profile: string }>;
  intents: Array<{ id: string; route: string; description?: string; prompt: string[]; at?: string }>;
  filters: Array<{ id: string; action: string; where: string[]; pattern: string; sizes: string[]; at?: string }>;
  classifier: string;
}

/** Pure: the view of the table (no secrets: it holds no resolved ${VAR}, and the server block is left out). */
export function describeRoutingTable(table: RoutingTable): RoutingTableView {
  // `file:line` where the table has it (tables compiled before it was kept have none).
  const at = (key: string) => (table.origins?.[key] === undefined ? {} : { at: table.origins[key] });
  return {
    config: table.hash.slice(0, 12),
    sources: table.sources.map((s) => s.path),
    defaultTier: table.routing.defaultTier,
    tiers: Object.entries(table.tiers).map(([tier, t]) => {
      const profile = table.profiles[t.profile];
      const backend = profile === undefined ? undefined : table.backends[profile.backend];
      return {
        tier,
        profile: t.profile,
        model: profile?.model ?? "?",
        backend: profile?.backend ?? "?",
        backendKind: backend?.kind ?? "?",
        ...(t.fallback === undefined ? {} : { fallback: t.fallback }),
        ...(t.maxTtftMs === undefined ? {} : { maxTtftMs: t.maxTtftMs }),
        ...at(`tiers.${tier}`),
        ...(table.origins?.[`profiles.${t.profile}`] === undefined ? {} : { profileAt: table.origins[`profiles.${t.profile}`] }),
      };
    }),
    models: table.routing.models.map((m) => ({ glob: m.glob, tier: m.tier })),
    aliases: table.routing.aliases.map((a) => ({ glob: a.glob, profile: a.profile })),
    intents: table.intents.map((i) => ({
      id: i.id,
      route: "tier" in i.route ? `→ ${i.route.tier}` : `escalate ${i.route.escalate}`,
      ...(i.description === undefined ? {} : { description: i.description }),
      prompt: i.prompt.map((p) => p.source),
      ...at(`intents.${i.id}`),
    })),
    filters: table.filters.map((f) => ({
      id: f.id,
      action: f.action,
      where: f.where.map(String),
      pattern: f.pattern.source,
      sizes: f.sizes,
      ...at(`filters.${f.id}`),
    })),
    classifier: table.classifier.mode === "model" ? `model (${table.classifier.profile ?? "?"})` : "rules",
  };
}
