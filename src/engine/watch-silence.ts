/** How long a download may bring no byte (headers or body) before it counts as broken. */
export const DOWNLOAD_SILENCE_MS = 60_000;

export interface SilenceWatch {
  /** Aborts when `outer` does, or when nothing arrived for the silence limit. */
  readonly signal: AbortSignal;
  /** Something arrived: the silence starts over. */
  touch(): void;
  stop(): void;
  /** Why, when the silence (not the caller) ended the request: "no data arrived for 60 s". */
  timedOut(): string | undefined;
}

/**
 * A silence timer for one HTTP request: a CDN that accepts the connection and then sends nothing
 * (or stops mid-body) would otherwise hold a download forever, since fetch has no read timeout.
 */
export function watchSilence(silenceMs: number, outer?: AbortSignal): SilenceWatch {
  const controller = new AbortController();
  let fired = false;
  const fire = () => {
    fired = true;
    controller.abort(new Error(silenceReason(silenceMs)));
  };
  let timer = setTimeout(fire, silenceMs);
  return {
    signal: outer ? AbortSignal.any([outer, controller.signal]) : controller.signal,
    touch() {
      clearTimeout(timer);
      timer = setTimeout(fire, silenceMs);
    },
    stop: () => clearTimeout(timer),
    timedOut: () => (fired && !outer?.aborted ? silenceReason(silenceMs) : undefined),
  };
}

const silenceReason = (ms: number) => `no data arrived for ${ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`}`;
