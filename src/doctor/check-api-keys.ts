import type { TierName } from "../../generated/config.js";
import { TIER_ORDER } from "../compile/routing-table.js";
import { interpolateEnv } from "../config/interpolate-env.js";
import { localFallback } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/**
 * One line per Anthropic backend a tier uses. A missing key fails only when some Claude tier has no
 * local fallback; otherwise every request is still served (locally), so it passes with a warning.
 */
export function checkApiKeys(ctx: DoctorContext): CheckResult[] {
  const { table, deps } = ctx;
  const tiersByBackend = new Map<string, TierName[]>();
  for (const tier of TIER_ORDER) {
    const profile = table.profiles[table.tiers[tier]?.profile ?? ""];
    if (!profile || table.backends[profile.backend]?.kind !== "anthropic") continue;
    tiersByBackend.set(profile.backend, [...(tiersByBackend.get(profile.backend) ?? []), tier]);
  }
  if (tiersByBackend.size === 0) return [{ name: "api key", ok: "skip", detail: "no tier uses the Anthropic API" }];
  return [...tiersByBackend].map(([backendName, tiers]) => {
    const name = tiersByBackend.size > 1 ? `api key (${backendName})` : "api key";
    const raw = table.backends[backendName]?.apiKey;
    const variable = raw ? /\$\{([A-Za-z_][A-Za-z0-9_]*)/.exec(raw)?.[1] : undefined;
    const resolved = raw === undefined ? undefined : interpolateEnv(raw, deps.env);
    const present = resolved !== undefined && resolved.ok && resolved.value !== "";
    const which = variable ?? "api_key";
    const tierList = `tier${tiers.length > 1 ? "s" : ""} ${tiers.join(", ")}`;
    if (present) return { name, ok: true, detail: `${which} is set for ${tierList} (${backendName})` };
    const fix = variable ? `export ${variable}=sk-ant-… in your shell profile` : `set backends.${backendName}.api_key: \${ANTHROPIC_API_KEY}`;
    const fallbacks = tiers.map((tier) => ({ tier, to: localFallback(table, tier) }));
    const stranded = fallbacks.filter((f) => f.to === undefined).map((f) => f.tier);
    if (stranded.length > 0) {
      return {
        name,
        ok: false,
        detail: `${which} is not set and tier${stranded.length > 1 ? "s" : ""} ${stranded.join(", ")} ha${stranded.length > 1 ? "ve" : "s"} no local fallback`,
        fix,
      };
    }
    const how = fallbacks.map((f) => `${f.tier} falls back to ${f.to!.tier} (${f.to!.profile})`).join(", ");
    return { name, ok: true, warning: true, detail: `${which} is not set: ${how}`, fix: `${fix} to use Claude` };
  });
}
