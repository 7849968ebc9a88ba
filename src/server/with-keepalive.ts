import { BackendError } from "../backends/backend-error.js";
import type { StreamSignal } from "../translate/stream-types.js";

export interface KeepaliveOptions {
  /** Emit a `ping` signal after this long without an upstream part. */
  pingIntervalMs: number;
  /**
   * Emit an `upstream-error` (timeout) and stop reading after this long without an upstream part.
   * Absent: no timer here; the backend's silence limit is then the HTTP client's (bytes count as
   * life there, mlx's prefill keepalive comments included).
   */
  idleTimeoutMs?: number;
}

/**
 * Passes upstream parts through and, while the upstream is silent (a long prefill), adds `ping`
 * signals so the client does not give up; a silence past the idle timeout ends the stream with a
 * timeout signal and cancels the upstream. Cancelling the result cancels the upstream.
 */
export function withKeepalive<T>(upstream: ReadableStream<T>, options: KeepaliveOptions): ReadableStream<T | StreamSignal> {
  const reader = upstream.getReader();
  let pingTimer: ReturnType<typeof setInterval> | undefined;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const stopTimers = () => {
    stopped = true;
    clearInterval(pingTimer);
    clearTimeout(idleTimer);
  };
  return new ReadableStream<T | StreamSignal>({
    start(controller) {
      // Re-armed on every part (each token): a refresh moves the same timer, no new one per token.
      const armIdle = () => {
        if (stopped) return;
        if (idleTimer !== undefined) return void idleTimer.refresh();
        const idleMs = options.idleTimeoutMs;
        if (idleMs === undefined) return;
        idleTimer = setTimeout(() => {
          stopTimers();
          controller.enqueue({ type: "upstream-error", kind: "timeout", message: `The model server sent nothing for ${Math.round(idleMs / 1000)} s` });
          controller.close();
          reader.cancel().catch(() => undefined); // the upstream is abandoned; its own errors no longer matter
        }, idleMs);
      };
      const armPing = () => {
        if (stopped) return;
        if (pingTimer !== undefined) return void pingTimer.refresh();
        pingTimer = setInterval(() => controller.enqueue({ type: "ping" }), options.pingIntervalMs);
      };
      armIdle();
      armPing();
      void (async () => {
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            armIdle();
            armPing();
            controller.enqueue(value);
          }
          stopTimers();
          controller.close();
        } catch (error) {
          stopTimers();
          // After an idle timeout the stream is already closed; a late read error has nowhere to go.
          try {
            controller.enqueue(
              BackendError.isInstance(error)
                ? { type: "upstream-error", kind: error.failure === "timeout" ? "timeout" : "network", message: `${error.message}.` }
                : { type: "upstream-error", kind: "network", message: `The connection to the model server broke: ${(error as Error).message}` },
            );
            controller.close();
          } catch {
            // closed already
          }
        }
      })();
    },
    cancel(reason) {
      stopTimers();
      return reader.cancel(reason);
    },
  });
}
