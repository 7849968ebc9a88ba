import type { DiscoverServerFacts, ServerFacts } from "../backends/server-facts.js";
import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { fitToServerFacts } from "../router/fit-to-server-facts.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import { poolQueueName } from "../backends/pool/pool-queue-name.js";
import { createServerFactsStore, type ServerFactsStore } from "../backends/server-facts-store.js";

export interface ServerFactsLearning {
  /** Reads the servers mallex does not start (a `--backend-url`, a config's base_url), before the proxy listens. */
  learnExternal(): Promise<void>;
  /** Reads the server that now serves this profile at `baseUrl` (a supervised server, once ready), or waits for the reading under way: what it holds. */
  learnServed(profile: CompiledProfile, baseUrl: string): Promise<ServerFacts | undefined>;
  /** The config changed while the proxy runs (adopt-config-change.ts): this table is fitted from now on, to what the servers said so far. */
  rebase(table: RoutingTable): void;
}

/**
 * The one part of a running proxy that changes after start: the table requests are routed by,
 * refitted to what the model servers report, and the store of those reports. Held apart from the
 * server's context (frozen once built, whose `table` reads this holder's); learning reads the
 * backends and writes to the log.
 */
export interface LiveTable {
  table: RoutingTable;
  serverFacts?: ServerFactsStore;
  readonly backends: Readonly<Record<string, RuntimeBackend>>;
  readonly log: (line: string) => void;
}

/**
 * Gives the holder a store of server facts, and keeps its table fitted to them: each time a
 * server says something new, the table is refitted from the compiled one (so a server restarted
 * with a larger context gets its profiles' declared windows back), and each lowered window is
 * logged once. Requests take the table as it is when they arrive.
 */
export function learnServerFacts(live: LiveTable, discover: DiscoverServerFacts): ServerFactsLearning {
  let compiled = live.table;
  const said = new Set<string>();
  const refit = () => {
    const fitted = fitToServerFacts(compiled, store.get);
    live.table = fitted.table;
    for (const note of fitted.notes) {
      if (said.has(note)) continue;
      said.add(note);
      live.log(note);
    }
  };
  const store = createServerFactsStore({ discover, onChange: refit });
  live.serverFacts = store;
  const learn = async (backendName: string, baseUrl: string, model: string | undefined) => {
    const backend = live.backends[backendName];
    if (backend === undefined || backend.kind !== "openai") return undefined;
    return store.learn(backendName, { flavor: backend.flavor, baseUrl, headers: backend.headers, ...(model === undefined ? {} : { model }) });
  };
  // Each server of a pool under its queue's name (its own queue follows it); the backend holds what
  // all of them can: the smallest context and the fewest requests at once.
  const learnPool = async (backendName: string, servers: readonly string[], model: string) => {
    const backend = live.backends[backendName]!;
    const read = await Promise.all(
      servers.map((url) => store.learn(poolQueueName(backendName, url), { flavor: backend.flavor, baseUrl: url, headers: backend.headers, model })),
    );
    const known = read.filter((facts) => facts !== undefined);
    if (known.length === 0) return;
    const least = (values: Array<number | undefined>) => (values.every((value) => value !== undefined) ? Math.min(...(values as number[])) : undefined);
    const contextWindow = least(known.map((facts) => facts.contextWindow));
    const parallel = least(known.map((facts) => facts.parallel));
    store.record(backendName, {
      ...(contextWindow === undefined ? {} : { contextWindow }),
      ...(parallel === undefined ? {} : { parallel }),
      source: `${known.length} of ${servers.length} pool servers: ${known[0]!.source}`,
    });
  };
  return {
    async learnExternal() {
      const reads = Object.values(compiled.profiles).flatMap((profile) => {
        const backend = live.backends[profile.backend];
        if (backend?.kind !== "openai" || backend.supervised || backend.baseUrl === undefined || backend.unavailable !== undefined) return [];
        const servers = backend.urls ?? [];
        return [servers.length > 1 ? learnPool(profile.backend, servers, profile.model) : learn(profile.backend, backend.baseUrl, profile.model)];
      });
      await Promise.all(reads);
    },
    learnServed: (profile, baseUrl) => learn(profile.backend, baseUrl, profile.model),
    rebase(table) {
      compiled = table;
      refit();
    },
  };
}
