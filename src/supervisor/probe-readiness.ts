/**
 * Is the server ready? For mlx-lm.server only a real generation says so: /health answers ok while
 * the model is still loading, and the first request waits for the load (docs/mlx-lm-server.md). So the
 * `generate` probe sends a 1-token chat completion (no `model` field: any other value makes
 * mlx-lm.server load that model) and waits for its answer, retrying while nothing listens yet.
 *
 * Plain node:http, no client timeouts: a first start may wait tens of minutes for the download, and
 * a request given up on and sent again leaves mlx-lm.server writing to a closed socket.
 */
import { request as httpRequest } from "node:http";
import { readBodyStart } from "../shared/read-body-text.js";
import { formatDuration } from "./supervisor-messages.js";

export type ReadinessResult =
  | { ok: true }
  /** timeout: not ready in time; rejected: the server answered with an error that retrying will not fix. */
  | { ok: false; reason: "timeout" | "aborted" | "rejected"; message: string };

export interface ReadinessOptions {
  baseUrl: string;
  probe: "generate" | "health";
  timeoutMs: number;
  signal: AbortSignal;
  request?: ProbeRequest;
  now(): number;
  /** Pause between attempts while the port is not open or the server says "loading" (default 200 ms). */
  retryMs?: number;
  /** Sent with each attempt (the embedded engine's token). */
  headers?: Record<string, string>;
}

export const READINESS_REQUEST = { messages: [{ role: "user", content: "Say OK." }], max_tokens: 1 } as const;

export async function probeReadiness(options: ReadinessOptions): Promise<ReadinessResult> {
  const deadline = options.now() + options.timeoutMs;
  const retryMs = options.retryMs ?? 200;
  const root = options.baseUrl.replace(/\/v1\/?$/, "");
  const headers = options.headers ? { headers: options.headers } : {};
  for (;;) {
    if (options.signal.aborted) return { ok: false, reason: "aborted", message: "stopped while starting" };
    const remaining = deadline - options.now();
    if (remaining <= 0) return timedOut(options);
    const attempt = AbortSignal.any([options.signal, AbortSignal.timeout(remaining)]);
    try {
      const request = options.request ?? httpProbeRequest;
      const response =
        options.probe === "generate"
          ? await request(`${options.baseUrl}/chat/completions`, { method: "POST", body: JSON.stringify(READINESS_REQUEST), signal: attempt, ...headers })
          : await request(`${root}/health`, { method: "GET", signal: attempt, ...headers });
      if (response.status >= 200 && response.status < 300) return { ok: true };
      // A refused token or origin is not "loading": no retry makes it ready.
      if (response.status === 401 || response.status === 403)
        return { ok: false, reason: "rejected", message: `it refused the readiness probe with ${response.status}: ${errorText(response.body)}` };
      // 503 (llama-server "Loading model"), 5xx, 408, 429: not yet. Other 4xx: the server refused the model or the request.
      if (response.status < 500 && response.status !== 408 && response.status !== 429 && options.probe === "generate") {
        return { ok: false, reason: "rejected", message: `it answered the test request with ${response.status}: ${errorText(response.body)}` };
      }
    } catch {
      // not listening yet, or the connection dropped: try again until the deadline
    }
    await pause(retryMs, options.signal);
  }
}

function timedOut(options: ReadinessOptions): ReadinessResult {
  const what = options.probe === "generate" ? "answer a 1-token test generation" : "report healthy";
  return { ok: false, reason: "timeout", message: `it did not ${what} within ${formatDuration(options.timeoutMs)}` };
}

function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    const error = parsed.error as { message?: unknown } | string | undefined;
    const text = typeof error === "string" ? error : typeof error?.message === "string" ? error.message : body;
    return text.split("\n")[0]!.slice(0, 300);
  } catch {
    return body.slice(0, 300) || "(empty body)";
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** The most of a readiness answer read: a health check or a one-token answer is far shorter; the rest is never read. */
const MAX_PROBE_BODY_BYTES = 64 * 1024;

/** One HTTP request and the start of its body (MAX_PROBE_BODY_BYTES); rejects on connection errors and on abort. */
export type ProbeRequest = (
  url: string,
  init: { method: "GET" | "POST"; body?: string; signal: AbortSignal; headers?: Record<string, string> },
) => Promise<{ status: number; body: string }>;

export const httpProbeRequest: ProbeRequest = (url, init) =>
  new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = {
      ...init.headers,
      ...(init.body === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(init.body) }),
    };
    const req = httpRequest(url, { method: init.method, headers, signal: init.signal, agent: false }, (res) => {
      readBodyStart(res, MAX_PROBE_BODY_BYTES).then(({ text }) => resolve({ status: res.statusCode ?? 0, body: text }), reject);
    });
    req.on("error", reject);
    req.end(init.body);
  });
