import type { RoutingTable } from "../compile/routing-table.js";
import type { EvalServing } from "../observe/eval-history.js";
import { describeServer, type ServedBy } from "../observe/measured-server.js";

/**
 * Pure: what serves a variant — the profile it is pinned to (`--profile`), else the one its routing's
 * default tier names (where Claude Code's main requests go) — with the profile's model and the server
 * of its backend as the proxy sends to it (`backends`: RunningProxy.backends, --backend-url applied).
 */
export function evalServing(table: RoutingTable, backends: Readonly<Record<string, ServedBy>>, pinned: string | undefined): EvalServing {
  const name = pinned ?? table.tiers[table.routing.defaultTier]?.profile ?? "";
  const profile = table.profiles[name];
  const backend = profile === undefined ? undefined : (backends[profile.backend] ?? table.backends[profile.backend]);
  return {
    profile: name,
    pinned: pinned !== undefined,
    model: profile?.model ?? "unknown",
    backend: profile?.backend ?? "unknown",
    server: backend === undefined ? { kind: "openai", flavor: "unknown", url: "unknown" } : describeServer(backend),
  };
}
