import { MallexError } from "../shared/mallex-error.js";
import { formatDuration } from "../supervisor/supervisor-messages.js";
import { BackendError } from "./backend-error.js";
import type { UpstreamTimeouts } from "./upstream-client.js";

/** One call to a backend, as much as an error about it needs to say. */
export interface UpstreamCall {
  backend: string;
  /** What the user configured (or the supervisor picked): named in the message. */
  baseUrl: string;
  url: string;
  timeouts: UpstreamTimeouts;
  signal: AbortSignal;
}

/** No connection at all: the only failures that may say "not reachable". */
const UNREACHABLE = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EAI_NONAME",
  "EHOSTUNREACH",
  "EHOSTDOWN",
  "ENETUNREACH",
  "ENETDOWN",
  "EADDRNOTAVAIL",
  "bad port",
]);
/** Connected, then the peer hung up or reset. */
const HUNG_UP = new Set(["UND_ERR_SOCKET", "ECONNRESET", "EPIPE", "UND_ERR_CLOSED", "other side closed", "terminated"]);

/**
 * What fetch threw — before the headers (`phase: "headers"`) or while the body was read — as what
 * it means: a {@link BackendError} naming the backend, and the setting to change when it is a limit
 * of ours. An abort is not the backend's fault: the supervisor's reason (a wedged server) comes back
 * as it is, a client that went away as an `AbortError`.
 */
export function classifyUpstreamError(error: unknown, call: UpstreamCall, phase: "headers" | "body"): unknown {
  if (BackendError.isInstance(error)) return error;
  if (call.signal.aborted) return abortReason(call.signal);
  const where = `${call.backend} at ${call.baseUrl}`;
  const details = { backend: call.backend, url: call.url, cause: error };
  const code = causeCode(error);
  switch (code) {
    case "UND_ERR_CONNECT_TIMEOUT":
      return new BackendError(
        "unreachable",
        `${where} is not reachable (no connection within ${formatDuration(call.timeouts.connectMs)}; the limit is backends.${call.backend}.connect_timeout_s)`,
        details,
      );
    case "UND_ERR_HEADERS_TIMEOUT":
      return new BackendError("timeout", `${where} sent no answer within ${formatDuration(call.timeouts.silenceMs)}. ${raise(call)}`, details);
    case "UND_ERR_BODY_TIMEOUT":
      return new BackendError(
        "timeout",
        `${where} went silent for ${formatDuration(call.timeouts.silenceMs)} partway through its answer. ${raise(call)}`,
        details,
      );
    case "MALLEX_ANSWER_DEADLINE":
      return new BackendError(
        "timeout",
        `${where} was still answering after ${formatDuration(call.timeouts.answerMs ?? 0)}, the longest one answer may take (server.answer_timeout_s in mallex.yaml): it was stopped`,
        details,
      );
  }
  if (UNREACHABLE.has(code)) return new BackendError("unreachable", `${where} is not reachable (${code})`, details);
  if (HUNG_UP.has(code) && phase === "headers") return new BackendError("closed", `${where} closed the connection without answering (${code})`, details);
  return new BackendError(
    "broken",
    phase === "headers" ? `the connection to ${where} failed (${code})` : `the connection to ${where} broke before the answer was complete (${code})`,
    details,
  );
}

function raise(call: UpstreamCall): string {
  return `If the model needs longer (a long prompt, a busy server), raise ${call.timeouts.silenceSetting} in mallex.yaml`;
}

function abortReason(signal: AbortSignal): unknown {
  const reason: unknown = signal.reason;
  if (MallexError.isInstance(reason) || BackendError.isInstance(reason)) return reason;
  return new DOMException("The client closed the request", "AbortError");
}

/** The most specific reason in the cause chain (a fetch's TypeError wraps the socket error; node:http's errors carry their code). */
export function causeCode(error: unknown): string {
  let current: unknown = error;
  let reason = error instanceof Error ? error.message : String(error);
  for (let depth = 0; current && typeof current === "object" && depth < 6; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string") return code;
    if (typeof message === "string" && message) reason = message;
    current = (current as { cause?: unknown }).cause;
  }
  return reason;
}
