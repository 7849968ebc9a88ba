/**
 * Liveness by token progress: while a run has requests in flight, check every quarter of the wedge
 * timeout whether one of them has gone `timeoutMs` without a token; if so, report it once.
 */
import type { Run } from "./launch-run.js";
import { unref, type SupervisorDeps } from "./supervisor-deps.js";

export interface WedgeWatchOptions {
  /** 0 or less: never. */
  timeoutMs: number;
  deps: Pick<SupervisorDeps, "now" | "setTimeout">;
  /** The run is still the supervisor's current one. */
  isCurrent(): boolean;
  onWedged(): void;
}

/** Starts the check for this run unless it already runs; it stops by itself when no request is left. */
export function watchForWedge(run: Run, options: WedgeWatchOptions): void {
  if (options.timeoutMs <= 0 || run.wedgeTimer !== undefined) return;
  const every = Math.min(5000, Math.max(10, options.timeoutMs / 4));
  const tick = () => {
    run.wedgeTimer = undefined;
    if (!options.isCurrent() || run.wedged || run.leases.size === 0) return;
    const now = options.deps.now();
    if ([...run.leases].some((lease) => lease.watched && now - lease.lastProgress >= options.timeoutMs)) return options.onWedged();
    run.wedgeTimer = unref(options.deps.setTimeout(tick, every));
  };
  run.wedgeTimer = unref(options.deps.setTimeout(tick, every));
}
