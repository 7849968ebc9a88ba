/**
 * Contract between the model-server supervisor (src/supervisor/) and its users: the proxy's request
 * path, `mallex run`, `mallex server`, `mallex doctor`.
 */
import type { CompiledBackend } from "../compile/routing-table.js";

/** starting: process launched, not ready yet; ready: answered a real 1-token generation. */
export type SupervisorState = "stopped" | "starting" | "ready" | "stopping" | "failed";

/** The compiled `supervise:` block: how to run and watch a server (see CompiledBackend). */
type Supervision = NonNullable<CompiledBackend["supervise"]>;

/** What to run and how to watch it; everything comes from the compiled backend + profile (or --server-command). */
export interface SupervisedServerSpec extends Pick<
  Supervision,
  "install" | "readiness" | "idleUnloadMs" | "wedgeTimeoutMs" | "maxRestarts" | "restartWindowMs"
> {
  /** Stable key for this server (pidfile and log names): backend name + model, e.g. "mlx--qwen3-coder-30b". */
  key: string;
  /** Command line; placeholders {port} {model} {host} {venv} {draft_model} are filled in by the supervisor. */
  command: string;
  model: string;
  draftModel?: string;
  /** Python venv to create under MALLEX_HOME and run from; true: MALLEX_HOME/venv. */
  venv?: boolean | string;
  /** The host the server's HTTP API is reached at, when it runs on another machine (rank 0 of mlx distributed); absent: 127.0.0.1. */
  reachHost?: string;
  /** Added to the server's environment (the embedded engine's token). */
  env?: Record<string, string>;
  /**
   * The backend's flavor when it decides how the server is installed and run: mlx-lm gets its
   * platform's pip extra and, on Linux, a preloaded OpenBLAS (mlx-lm-platform.ts, preload-openblas.ts).
   */
  flavor?: string;
  /** Sent with the readiness probe (the embedded engine's token). */
  probeHeaders?: Record<string, string>;
  /**
   * Its `--ctx-size` was planned for the backend it first starts on (with-embedded-model.ts): after
   * a GPU fallback the engine plans it again, up to that size (gpu-fallback.ts withGpuSteps).
   */
  plannedContext?: boolean;
}

/** Everything the user should see while a server starts or fails: never a silent terminal. */
export type SupervisorEvent =
  | { type: "installing"; message: string }
  | { type: "starting"; port: number; command: string }
  | { type: "progress"; message: string; percent?: number }
  /** `reused`: a server kept running by an earlier session was adopted instead of starting one. */
  | { type: "ready"; baseUrl: string; ms: number; reused?: boolean }
  | { type: "unloaded"; reason: string }
  | { type: "crashed"; message: string; code: number | null; signal: string | null }
  | { type: "wedged"; message: string }
  | { type: "out-of-memory"; message: string }
  | { type: "restarting"; attempt: number; delayMs: number }
  /** `needsUser`: the message is the server's own words on what the user must fix (SupervisorError.needsUser), whole lines. */
  | { type: "failed"; message: string; needsUser?: true }
  | { type: "stopped" };

/** One request the proxy sends to the supervised server: lets the supervisor see token progress. */
export interface RequestLease {
  /**
   * Aborted when the server this request went to is wedged, crashes or is stopped: pass it (with the
   * client's) to the upstream fetch so the request fails at once instead of hanging.
   */
  readonly signal: AbortSignal;
  /** A token (or any byte of the response, SSE keepalive comments included) arrived: the server is alive. */
  progress(): void;
  /** The request is over (finished, failed or abandoned). */
  end(): void;
}

export interface ServerSupervisor {
  readonly spec: SupervisedServerSpec;
  readonly state: SupervisorState;
  /** The server process while one runs (starting, ready or stopping). */
  readonly pid: number | undefined;
  /** http://127.0.0.1:PORT/v1 while ready. */
  readonly baseUrl: string | undefined;
  /**
   * Starts the server if it is not running (first use, or after an idle unload), waits until it is
   * ready, and returns its OpenAI base URL (http://127.0.0.1:PORT/v1). Rejects with a SupervisorError
   * whose message says what went wrong and what to do.
   */
  ensureReady(signal?: AbortSignal): Promise<string>;
  /**
   * Marks a request in flight (idle unload waits; no token for wedgeTimeoutMs restarts the server).
   * `watch: false` for a request whose answer comes in one piece (not streamed): it cannot show
   * progress, so it is not checked for wedging (default true).
   */
  beginRequest(options?: { watch?: boolean }): RequestLease;
  /**
   * A request to `baseUrl` (what ensureReady gave) failed before its answer began: refused, or its
   * socket closed. True once that server's exit has been handled — it had died, and the next
   * ensureReady starts it again — or when another server already took its place; false when it still
   * runs after `timeoutMs` (the failure was something else). A process's exit reaches mallex a moment
   * after its sockets close: a request sent in between waits for it here instead of failing.
   */
  exitedSince(baseUrl: string, timeoutMs?: number): Promise<boolean>;
  /** Stops the server (SIGTERM, wait, SIGKILL) and removes its pidfile. */
  stop(): Promise<void>;
  /** Last resort for a process 'exit' handler, where nothing can be awaited: SIGKILL the server now, remove its pidfile. */
  killNow(): void;
  /**
   * on_exit: keep. Lets go of the ready server without stopping it: it runs on after mallex exits,
   * its pidfile marked `kept` (no owner, so no orphan), and the next supervisor with the same spec
   * adopts it. The supervisor is `stopped` afterwards (stop() and killNow() no longer touch the
   * server). Undefined, and nothing changes, when no server is ready (starting, stopping, failed).
   */
  keep(): KeptServer | undefined;
}

/** A server left running by keep(). */
export interface KeptServer {
  key: string;
  pid: number;
  baseUrl: string;
}
