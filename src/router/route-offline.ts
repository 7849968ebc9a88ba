import { resolveBackends } from "../backends/resolve-backends.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { compileRouterRules } from "./compile-rules.js";
import { describeRequest } from "./describe-request.js";
import { selectRoute, type RouteResult } from "./select-route.js";

/**
 * Where the proxy would send a request as the first of its conversation, decided without a running
 * server (`mallex explain`): an Anthropic backend serves only with its API key in `env`, and every
 * local backend counts as up, since `mallex run` starts the ones mallex supervises.
 */
export function routeOffline(request: MessagesRequest, table: RoutingTable, env: EnvLookup): RouteResult {
  const backends = resolveBackends(table, env, { supervised: new Set(Object.keys(table.backends)) });
  return selectRoute({ model: request.model, facts: describeRequest(request) }, table, compileRouterRules(table), (name) => {
    const backend = backends[name];
    return backend && backend.unavailable === undefined ? { ok: true } : { ok: false, reason: backend?.unavailable ?? `backend ${name} is not configured` };
  });
}
