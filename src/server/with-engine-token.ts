import type { RoutingTable } from "../compile/routing-table.js";
import { engineMaxBodyBytes } from "../engine/guard-engine-request.js";

/**
 * Gives every embedded engine mallex starts this start's secret: the supervisor passes it to the
 * engine (MALLEX_ENGINE_TOKEN) and its readiness probe sends it; the backend's headers carry it on
 * every request and facts read (/props), and as a header value redact-secrets.ts keeps it out of logs
 * and saved requests. Engines not started by mallex (a base_url of its own) are left as they are. Pure.
 * They get the proxy's body limit too (server.max_body_mb, see engineMaxBodyBytes): what the proxy
 * accepts, the engine it started reads, and no more.
 */
export function withEngineToken(table: RoutingTable, token: string): RoutingTable {
  const backends = Object.fromEntries(
    Object.entries(table.backends).map(([name, backend]) => {
      if (backend.flavor !== "embedded" || backend.supervise === undefined) return [name, backend];
      // An api_key would replace the token's Authorization header: the engine asks for no other key.
      const { apiKey: _unused, ...rest } = backend;
      return [
        name,
        {
          ...rest,
          headers: { ...backend.headers, authorization: `Bearer ${token}` },
          supervise: { ...backend.supervise, engineToken: token, engineMaxBodyBytes: engineMaxBodyBytes(table.server.maxBodyBytes) },
        },
      ];
    }),
  );
  return { ...table, backends };
}
