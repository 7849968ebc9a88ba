import { backendCapacity } from "../backends/backend-capacity.js";
import { resolveBackends } from "../backends/resolve-backends.js";
import type { ServerFacts } from "../backends/server-facts.js";
import { fitProfileToContext } from "../router/fit-to-server-facts.js";
import { isLocal, profilesInUse, type ProfileInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/**
 * Each local backend in use: how many requests mallex will send it at once and let wait, and where
 * that comes from — the config, what its running server says (when doctor can reach one and has
 * a discovery), or its flavor's default. A server mallex starts itself is read when it starts.
 * Where a running server said what context it holds, each of its profiles gets a line too: the
 * context it holds against the declared context_window, which mallex lowers to it at run time.
 */
export async function checkCapacity(ctx: DoctorContext): Promise<CheckResult[]> {
  const { table, options, deps } = ctx;
  const local = profilesInUse(table).filter(isLocal);
  const backends = resolveBackends(
    table,
    deps.env,
    options.backendUrls !== undefined && options.backendUrls.length > 1
      ? { backendUrls: options.backendUrls }
      : options.backendUrl
        ? { backendUrl: options.backendUrl }
        : {},
  );
  // One reading per backend and model, shared by its capacity line and its profiles' context lines.
  const readings = new Map<string, Promise<ServerFacts | undefined>>();
  const factsOf = (name: string, model: string): Promise<ServerFacts | undefined> => {
    const backend = backends[name]!;
    // A pool's servers run the same model: the first one speaks for them.
    if (backend.baseUrl === undefined || deps.discoverFacts === undefined) return Promise.resolve(undefined);
    const key = `${name}\u0000${model}`;
    let reading = readings.get(key);
    if (reading === undefined)
      readings.set(key, (reading = deps.discoverFacts({ flavor: backend.flavor, baseUrl: backend.baseUrl, headers: backend.headers, model })));
    return reading;
  };
  const names = [...new Set(local.map((entry) => entry.backendName))];
  const capacities = names.map(async (name): Promise<CheckResult> => {
    const backend = backends[name]!;
    const facts = await factsOf(name, local.find((entry) => entry.backendName === name)!.profile.model);
    const capacity = backendCapacity({
      flavor: backend.flavor,
      set: { maxInFlight: table.server.maxInFlightPerBackend, maxWaiting: table.server.maxWaitingPerBackend },
      facts,
      profiles: Object.values(table.profiles).filter((profile) => profile.backend === name),
    });
    const each = backend.urls === undefined ? "" : ` on each of its ${backend.urls.length} servers`;
    const later = backend.baseUrl === undefined && capacity.source !== "set" ? "; what its server says is read when mallex starts it" : "";
    return {
      name: `capacity ${name}`,
      ok: true,
      detail: `${capacity.maxInFlight} request(s) at once${each} (${capacity.source}), ${capacity.maxWaiting} may wait (${capacity.waitingSource})${later}`,
    };
  });
  const contexts = local.map(async (entry) => contextCheck(entry, await factsOf(entry.backendName, entry.profile.model)));
  const [capacityResults, contextResults] = await Promise.all([Promise.all(capacities), Promise.all(contexts)]);
  return [...capacityResults, ...contextResults.filter((result): result is CheckResult => result !== undefined)];
}

/** The context a running server holds against the profile's declared window; undefined where no server said one. */
function contextCheck(entry: ProfileInUse, facts: ServerFacts | undefined): CheckResult | undefined {
  const held = facts?.contextWindow;
  if (facts === undefined || held === undefined) return undefined;
  const { profile } = entry;
  const name = `context ${profile.name}`;
  const holds = `its server holds ${held} tokens (${facts.source})`;
  if (profile.contextWindow !== undefined && profile.contextWindow <= held)
    return { name, ok: true, detail: `${holds}; context_window ${profile.contextWindow} stands` };
  const budget = fitProfileToContext(profile, held).inputBudget;
  if (profile.contextWindow === undefined)
    return { name, ok: true, detail: `${holds}; no context_window declared: mallex uses ${held}, prompt budget ${budget}` };
  return {
    name,
    ok: true,
    warning: true,
    detail: `${holds}, less than its context_window ${profile.contextWindow}: lowered to ${held} at run time, prompt budget ${budget}`,
    fix: `set context_window: ${held} on profile ${profile.name} (or start its server with a larger context)`,
  };
}
