import type { RequestLease, ServerSupervisor, SupervisedServerSpec, SupervisorState } from "../../src/supervisor/types.js";

/** A supervisor whose server starts and stops at once, at no address: for what reads only its state (the memory budget, the dashboard). */
export function instantSupervisor(spec: SupervisedServerSpec): ServerSupervisor {
  let state: SupervisorState = "stopped";
  const url = `http://127.0.0.1:9/${spec.key}/v1`;
  return {
    spec,
    get state() {
      return state;
    },
    pid: undefined,
    get baseUrl() {
      return state === "ready" ? url : undefined;
    },
    ensureReady: async () => {
      state = "ready";
      return url;
    },
    beginRequest: (): RequestLease => ({ signal: new AbortController().signal, progress() {}, end() {} }),
    exitedSince: async () => false,
    stop: async () => {
      state = "stopped";
    },
    killNow() {},
    keep: () => undefined,
  };
}
