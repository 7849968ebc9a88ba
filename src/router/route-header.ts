import type { TierName } from "../../generated/config.js";
import { TIER_ORDER, type RoutingTable } from "../compile/routing-table.js";
import type { RouteDecision } from "./select-route.js";

/** The header every /v1/messages response that was routed carries. */
export const ROUTE_HEADER = "x-mallex-route";

/** `local`: any OpenAI-compatible server mallex translates for; `anthropic`: forwarded to the Anthropic API. */
export type BackendKind = "local" | "anthropic";

/** What a request was routed to, in the words of the header and the metrics' labels. */
export interface RouteLabels {
  tier: TierName | "none";
  profile: string;
  backend: BackendKind;
  reason: string;
}

/**
 * The route's labels. A route without a tier (the request named a profile, or an alias of one) gets
 * the first tier that uses that profile, else `none`.
 */
export function routeLabelsOf(route: RouteDecision, table: RoutingTable): RouteLabels {
  const tier = route.tier ?? TIER_ORDER.find((t) => table.tiers[t]?.profile === route.profile.name) ?? "none";
  const backend = table.backends[route.profile.backend]?.kind === "anthropic" ? "anthropic" : "local";
  return { tier, profile: route.profile.name, backend, reason: route.reason };
}

/**
 * `tier=medium; profile=qwen3-coder-30b; backend=local; reason="default \u2192 medium"`: `key=value`
 * pairs joined by `; `. A value that is not a plain token (letters, digits, `._:/+-`) is a JSON string
 * with every character outside printable ASCII as `\uXXXX`, so the header never carries CR, LF or a
 * byte Node refuses, and `JSON.parse` gives the value back.
 */
export function formatRouteHeader(labels: RouteLabels): string {
  return (["tier", "profile", "backend", "reason"] as const).map((key) => `${key}=${headerValue(labels[key])}`).join("; ");
}

function headerValue(value: string): string {
  if (/^[A-Za-z0-9._:/+-]+$/.test(value)) return value;
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
