/** One server of a pool as the pick sees it now. */
export interface PoolServerView {
  /** Requests mallex has in flight or queued on it. */
  load: number;
  /** Sessions it serves (the tie-break between equally loaded servers: new sessions spread out). */
  sessions: number;
  /** False while its breaker is open (or one request is probing it). */
  healthy: boolean;
}

/**
 * When a session leaves its server for a less loaded one: only when the load is clearly skewed, by
 * both an absolute and a relative margin (as SGLang's cache-aware router does), since a move costs
 * the session its prefix cache.
 */
export interface PoolBalance {
  /** Its server has at least this many more requests than the least loaded one. */
  absolute: number;
  /** And more than this times as many. */
  relative: number;
}

export const POOL_BALANCE_DEFAULTS: PoolBalance = { absolute: 4, relative: 2 };

/**
 * The server (index) a request of a session goes to: its own (`current`) while that one is healthy
 * and not clearly busier than the least loaded; else the least loaded healthy server, fewer sessions
 * first, then the first listed. `exclude` is a server that just failed this request. Undefined: no
 * healthy server is left.
 */
export function pickPoolServer(servers: readonly PoolServerView[], current: number | undefined, balance: PoolBalance, exclude?: number): number | undefined {
  let least: number | undefined;
  for (let i = 0; i < servers.length; i++) {
    const server = servers[i]!;
    if (!server.healthy || i === exclude) continue;
    const best = least === undefined ? undefined : servers[least]!;
    if (best === undefined || server.load < best.load || (server.load === best.load && server.sessions < best.sessions)) least = i;
  }
  if (least === undefined) return undefined;
  if (current === undefined || current === exclude || !servers[current]?.healthy) return least;
  const own = servers[current]!.load;
  const lowest = servers[least]!.load;
  return own - lowest >= balance.absolute && own > lowest * balance.relative ? least : current;
}
