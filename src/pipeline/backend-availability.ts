import type { ServerContext } from "./server-context.js";

/**
 * Whether a backend may take a request now, and why not: configured and usable, a pool with a server
 * that is not cooling down, and a circuit that is not open. Routing asks it of every candidate.
 */
export function backendAvailability(ctx: Pick<ServerContext, "backends" | "pools" | "breakers">, name: string): { ok: true } | { ok: false; reason: string } {
  const backend = ctx.backends[name];
  if (!backend || backend.unavailable) return { ok: false, reason: backend?.unavailable ?? `backend ${name} is not configured` };
  const pool = ctx.pools?.for(name);
  if (pool !== undefined && !pool.healthy())
    return { ok: false, reason: `every server of backend ${name} failed and is cooling down (${pool.urls.join(", ")})` };
  return ctx.breakers?.check(name) ?? { ok: true };
}
