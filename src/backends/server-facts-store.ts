import type { DiscoverServerFacts, FactsTarget, ServerFacts } from "./server-facts.js";

/**
 * The facts each backend's server gave, read once per server start. A backend's facts are what its
 * server said last (its queue's capacity reads them); a model's, what was read for that model — one
 * backend may serve several models, each with its own context, so another model's never stands in.
 */
export interface ServerFactsStore {
  /**
   * Without a model: what the server behind `backend` said last. With one: what was read for that
   * model, else facts recorded for the backend as a whole (a pool's). Undefined: not read yet, or it says nothing.
   */
  get(backend: string, model?: string): ServerFacts | undefined;
  /** Every backend's facts read so far. */
  all(): Record<string, ServerFacts>;
  /**
   * Reads the server's facts unless they were read for this base URL already (a restarted supervised
   * server listens on a new port, so it is read again) and were not provisional (Ollama before it
   * loads the model: read again until it has); resolves with what is known once read.
   */
  learn(backend: string, target: FactsTarget): Promise<ServerFacts | undefined>;
  /** Facts made of others' (a pool's, from its servers'): kept as if read. */
  record(backend: string, facts: ServerFacts): void;
  /** The server went away (its circuit opened, it stopped): read it again next time. */
  forget(backend: string): void;
}

export interface ServerFactsOptions {
  discover: DiscoverServerFacts;
  /** Facts that differ from what was known: the caller refits its table and logs. */
  onChange(backend: string, facts: ServerFacts): void;
}

export function createServerFactsStore(options: ServerFactsOptions): ServerFactsStore {
  const facts = new Map<string, ServerFacts>();
  // Backends whose facts were recorded whole (a pool's), not read for one of their models.
  const whole = new Set<string>();
  // One reading per backend, model and base URL, shared by the requests that arrive while it runs.
  // `settled` false: what was read is provisional (the server settles it later), so the next learn reads again.
  const readings = new Map<string, { baseUrl: string; done: Promise<ServerFacts | undefined>; settled?: boolean }>();
  const keyOf = (backend: string, model: string | undefined) => (model === undefined ? backend : `${backend}\u0000${model}`);
  return {
    get: (backend, model) =>
      model === undefined ? facts.get(backend) : (facts.get(keyOf(backend, model)) ?? (whole.has(backend) ? facts.get(backend) : undefined)),
    all: () => Object.fromEntries([...facts].filter(([key]) => !key.includes("\u0000"))),
    learn(backend, target) {
      const key = keyOf(backend, target.model);
      const reading = readings.get(key);
      if (reading?.baseUrl === target.baseUrl && reading.settled !== false) return reading.done;
      const done = options.discover(target).then((read) => {
        const current = readings.get(key);
        if (current?.done !== done) return facts.get(key);
        current.settled = read?.provisional !== true;
        if (read !== undefined && !sameFacts(read, facts.get(key))) {
          facts.set(key, read);
          facts.set(backend, read);
          options.onChange(backend, read);
        }
        return facts.get(key);
      });
      readings.set(key, { baseUrl: target.baseUrl, done });
      return done;
    },
    record(backend, read) {
      whole.add(backend);
      if (sameFacts(read, facts.get(backend))) return;
      facts.set(backend, read);
      options.onChange(backend, read);
    },
    forget(backend) {
      for (const key of readings.keys()) if (key === backend || key.startsWith(`${backend}\u0000`)) readings.delete(key);
    },
  };
}

function sameFacts(a: ServerFacts, b: ServerFacts | undefined): boolean {
  return (
    b !== undefined &&
    a.contextWindow === b.contextWindow &&
    a.parallel === b.parallel &&
    a.model === b.model &&
    a.source === b.source &&
    a.provisional === b.provisional
  );
}
