import type { RoutingTable } from "../compile/routing-table.js";
import { contextFix, largerContext } from "../shared/context/context-fix.js";
import { inConfigFile } from "../shared/in-config-file.js";
import { isSmallContext, SMALL_CONTEXT_TOKENS } from "../shared/context/small-context.js";

/**
 * Start-up warnings for the tiers' local models whose context is small for Claude Code
 * (isSmallContext): one line per context and fix (with --embedded every local profile shares the
 * engine's), naming the profiles and tiers it holds back and how to give it a larger context in its
 * server's words. Said at start-up because the session only shows it later, as compaction after
 * every turn or two, capped answers, and at worst "Prompt is too long".
 */
export function smallContextWarnings(table: RoutingTable): string[] {
  const groups = new Map<string, { context: number; flavor: string; profiles: Set<string>; tiers: string[] }>();
  for (const [tierName, tier] of Object.entries(table.tiers)) {
    const profile = table.profiles[tier.profile];
    const backend = profile === undefined ? undefined : table.backends[profile.backend];
    if (profile === undefined || backend === undefined || backend.kind === "anthropic" || !isSmallContext(profile.contextWindow)) continue;
    const key = `${profile.contextWindow}\0${contextFix(backend.flavor, largerContext(profile.contextWindow))}`;
    const group = groups.get(key) ?? { context: profile.contextWindow, flavor: backend.flavor, profiles: new Set<string>(), tiers: [] };
    group.profiles.add(profile.name);
    group.tiers.push(tierName);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ context, flavor, profiles, tiers }) => {
    const named = `profile${profiles.size === 1 ? "" : "s"} ${[...profiles].join(", ")}`;
    // Which file holds those profiles: the shipped default, the user's, a project's are all "mallex.yaml".
    const fix = contextFix(flavor, largerContext(context), `${named} ${inConfigFile(table.configFile)}`);
    return `mallex: warning: a ${context}-token context is small for Claude Code (under ${SMALL_CONTEXT_TOKENS}): ${named} (tier${tiers.length === 1 ? "" : "s"} ${tiers.join(", ")}): Claude Code will compact often, and mallex cuts each answer short to leave room for the next request. To fix it, ${fix}.`;
  });
}
