import { raceAbort } from "../shared/race-abort.js";
import type { BackendPool } from "../backends/pool/backend-pool.js";
import { BackendError } from "../backends/backend-error.js";
import { outcomeOfError } from "../backends/circuit-breaker.js";
import { postToExo } from "../backends/exo/exo-instances.js";
import { postChatCompletions, type ChatCompletionResponse } from "../backends/post-chat-completions.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { UpstreamBody } from "../backends/upstream-body.js";
import { upstreamTimeouts } from "../backends/upstream-client.js";
import type { CompiledProfile } from "../compile/routing-table.js";
import type { RequestLease } from "../supervisor/types.js";
import { BackendQueueFullError } from "../backends/backend-queue.js";
import { poolQueueName } from "../backends/pool/pool-queue-name.js";
import type { RequestScope } from "./request-scope.js";
import { retryAfterSeconds } from "../shared/retry-after-seconds.js";

/**
 * Calls the profile's backend, in order: waits the request's turn in the backend's queue (or its pool
 * server's), starts the server when mallex supervises it, has the server's facts learned once per
 * start, and posts the request; resolves once the answer's headers are in. Tells the supervisor about progress (its liveness check) until the request is released. A streamed
 * request that stops making progress gets its server restarted, and fails at once through the
 * lease's signal; a one-piece answer cannot show progress, so it is not watched.
 */
export async function callBackend(scope: RequestScope, profile: CompiledProfile, body: UpstreamBody, options: CallOptions): Promise<Upstream> {
  const { streamed, poolSession, signal: clientSignal = scope.signal } = options;
  const { server } = scope;
  let backend = server.backends[profile.backend]!;
  const pool = poolSession === undefined ? undefined : server.pools?.for(backend.name);
  if (pool !== undefined) return callPooled(scope, pool, { model: profile.model, body, signal: clientSignal, session: poolSession });
  let lease: RequestLease | undefined;
  let signal = clientSignal;
  const asked = server.deps.now();
  // Waits its turn for the backend (or fails at once when too many already wait): see backend-queue.ts.
  const slot = await server.queues?.acquire(backend.name, { signal: clientSignal, session: options.queueSession });
  const granted = server.deps.now();
  let released = false;
  // The supervised server this call went to: given its stable prefix back after a prompt that was no session's.
  let servedBy: string | undefined;
  const release = () => {
    if (!released) {
      lease?.end();
      if (servedBy !== undefined) server.slotHolds?.(servedBy, options.opensWithPrefix === true ? profile : undefined);
      // Before the queue's next request goes: it waits for the prefix (warmingUp).
      const after = options.restoresPrefixAfter?.();
      if (after !== undefined && servedBy !== undefined) server.restorePrefix?.(profile, servedBy, after);
      slot?.();
    }
    released = true;
  };
  try {
    const supervisor = backend.supervised && server.supervisors ? server.supervisors.for(profile) : undefined;
    for (let attempt = 1; ; attempt++) {
      if (supervisor) {
        backend = { ...backend, baseUrl: await supervisor.ensureReady(clientSignal) };
        servedBy = backend.baseUrl;
        // Its prefix is being restored or prefilled: this prompt starts from it, not beside it.
        const warming = server.warmingUp?.(backend.baseUrl!);
        if (warming !== undefined) await raceAbort(warming, clientSignal);
        lease = supervisor.beginRequest({ watch: streamed });
        signal = AbortSignal.any([clientSignal, lease.signal]);
      }
      // Read once per server start (a restart listens on a new port; a server that failed is forgotten
      // when its circuit opens): the requests after this one are fitted to it.
      if (backend.baseUrl !== undefined)
        void server.serverFacts?.learn(backend.name, { flavor: backend.flavor, baseUrl: backend.baseUrl, headers: backend.headers, model: profile.model });
      try {
        const { response, sentAt } = await post(scope, backend, { model: profile.model, body, signal });
        lease?.progress();
        return { response, progress: () => lease?.progress(), release, queuedMs: granted - asked, loadingMs: sentAt - granted, sentAt };
      } catch (error) {
        // No answer began: refused, or a kept-open socket closed, because the server died a moment
        // ago, before its supervisor saw the exit. Once it has, ensureReady starts it again, and the
        // request goes there instead of failing (a completion has no effect to repeat).
        const beforeAnswer = BackendError.isInstance(error) && (error.failure === "unreachable" || error.failure === "closed" || error.failure === "broken");
        if (attempt > 1 || !supervisor || !beforeAnswer || !(await supervisor.exitedSince(backend.baseUrl!))) throw error;
        lease?.end();
      }
    }
  } catch (error) {
    release();
    throw error;
  }
}

export interface CallOptions {
  /** Ends the call when it aborts: the client's (the scope's) unless given (the classifier's call has a deadline of its own). */
  signal?: AbortSignal | undefined;
  streamed: boolean;
  /** The request's session as its backend's pool places it (absent: the backend has one server, or the request is mallex's own). */
  poolSession?: string | undefined;
  /** Its session for its turn in a busy backend's queue (see BackendQueues.acquire); a pool's servers' queues take poolSession. */
  queueSession?: string | (() => string) | undefined;
  /** Its prompt is no session's prefix: once answered, what it came after where the server's slot gets the stable prefix back (ServerContext.restorePrefix). */
  restoresPrefixAfter?: (() => string | undefined) | undefined;
  /** Its prompt opens with the profile's stable prefix: once answered, the server's slot holds that session (ServerContext.slotHolds). */
  opensWithPrefix?: boolean;
}

/** A backend's answer, headers in; release gives back its queue slot (and its supervisor lease). */
export interface Upstream {
  response: Awaited<ReturnType<typeof postChatCompletions>>;
  progress(): void;
  release(): void;
  /** The pool server that answers (absent: the backend has one server). */
  server?: string;
  /** How long the request waited for its turn in the backend's queue (all the servers it tried, for a pool). */
  queuedMs: number;
  /** How long it then waited for the server to be ready (started by mallex, a model loaded). */
  loadingMs: number;
  /** When the request went to the backend (ServerContext.deps.now): its prefill is timed from here. */
  sentAt: number;
}

/**
 * Sends the request to the server of the pool its session is on, waiting its turn in that server's
 * queue. A failure before the answer's headers (refused, reset, timed out, 5xx) counts against the
 * server and is retried once on another: a server that dies costs a request that had not started
 * nothing the client sees, and its sessions move. A server whose queue is full passes the request
 * to another once, without counting against it.
 */
async function callPooled(
  scope: RequestScope,
  pool: BackendPool,
  { model, body, signal: clientSignal, session }: PostInput & { session: string | undefined },
): Promise<Upstream> {
  const { deps, queues } = scope.server;
  let failed: { server: string; error: unknown } | undefined;
  let queuedMs = 0;
  for (;;) {
    const url = pool.pick(session, failed?.server);
    // The other servers are cooling down too: the first server's failure is the answer.
    if (url === undefined && failed !== undefined) throw failed.error;
    if (url === undefined) throw coolingPool(pool);
    const backend = pool.backendFor(url);
    const uncount = pool.count(url);
    let slot: (() => void) | undefined;
    const asked = deps.now();
    try {
      slot = await queues?.acquire(poolQueueName(pool.backend, url), { signal: clientSignal, session });
    } catch (error) {
      queuedMs += deps.now() - asked;
      uncount();
      // A full queue says nothing against the server's health, but another server may have room.
      if (failed === undefined && BackendQueueFullError.isInstance(error)) {
        failed = { server: url, error };
        continue;
      }
      throw error;
    }
    const release = () => {
      uncount();
      slot?.();
    };
    const granted = deps.now();
    queuedMs += granted - asked;
    const ticket = pool.begin(url);
    try {
      const { response, sentAt } = await post(scope, backend, { model, body, signal: clientSignal });
      ticket.end({ ok: true });
      return { response, progress: noProgress, release, server: url, queuedMs, loadingMs: sentAt - granted, sentAt };
    } catch (error) {
      const outcome = outcomeOfError(error);
      ticket.end(outcome);
      release();
      if (failed !== undefined || outcome === "neutral" || outcome.ok || clientSignal.aborted) throw error;
      scope.log(`backend ${pool.backend}: ${url} failed before answering (${(error as Error).message}); trying another server`);
      failed = { server: url, error };
    }
  }
}

/** What is posted, to which model, ended by which signal. */
interface PostInput {
  model: string;
  body: UpstreamBody;
  signal: AbortSignal;
}

/**
 * Posts the request, when it is sent (`sentAt`: its prefill is timed from there), through the
 * request's HTTP client. An exo cluster serves a model once it is placed there (exo-instances.ts;
 * each server of a pool is a cluster of its own): that wait comes first, as loading, not prefill.
 */
async function post(
  scope: RequestScope,
  backend: RuntimeBackend,
  { model, body, signal }: PostInput,
): Promise<{ response: ChatCompletionResponse; sentAt: number }> {
  const { exoInstances, deps, requestTimeoutMs, answerTimeoutMs } = scope.server;
  if (backend.flavor === "exo") await exoInstances?.ready(backend, model, signal);
  const sentAt = deps.now();
  const options = { signal, client: scope.upstream, timeouts: upstreamTimeouts(backend, requestTimeoutMs, answerTimeoutMs) };
  const response = await (backend.flavor === "exo" ? postToExo(exoInstances, backend, model, body, options) : postChatCompletions(backend, body, options));
  return { response, sentAt };
}

const noProgress = () => {};

/** Every server of the pool failed lately and none is asked: a retry helps once the first one's cool-down is over. */
function coolingPool(pool: BackendPool): BackendError {
  const left = pool.stats().flatMap(({ coolDownLeftMs }) => (coolDownLeftMs === undefined ? [] : [coolDownLeftMs]));
  const retryAfter = left.length === 0 ? undefined : retryAfterSeconds(Math.min(...left));
  return new BackendError("cooling", `every server of backend ${pool.backend} failed and is cooling down (${pool.urls.join(", ")})`, {
    backend: pool.backend,
    url: pool.urls[0] ?? "",
    ...(retryAfter === undefined ? {} : { retryAfter }),
  });
}
