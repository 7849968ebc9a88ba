import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/backends/backend-error.js";
import { BackendQueueFullError } from "../../src/backends/backend-queue.js";
import { classifyFailure, errorEventOf, streamedFailure, type Refusal } from "../../src/pipeline/refusal.js";
import type { RequestScope } from "../../src/pipeline/request-scope.js";
import { MallexError } from "../../src/shared/mallex-error.js";
import { TranslateError } from "../../src/translate/translate-error.js";

/** What classifyFailure reads of a request's scope: the backend's kind and config, and the redaction of what a server echoed. */
const scope = {
  server: { backends: { local: { kind: "openai" } }, redact: { text: (text: string) => text.replaceAll("sk-secret", "[redacted]") } },
  table: { backends: { local: { flavor: "mlx-lm" } } },
} as unknown as Pick<RequestScope, "server" | "table">;

const broke = (failure: ConstructorParameters<typeof BackendError>[0], message: string, more: { status?: number; retryAfter?: string } = {}) =>
  new BackendError(failure, message, { backend: "local", url: "http://127.0.0.1:8080/v1/chat/completions", ...more });
const shape = ({ status, message, options }: Refusal) => ({ status, message, ...options });

describe("classifyFailure: whatever was thrown, classified once (status, type, sentence, retry)", () => {
  it("a request that cannot be translated is the client's: the error's own status and type, where in the request, no retry", () => {
    const error = new TranslateError("E_VISION_UNSUPPORTED", "image blocks are not supported by this profile", "messages.2.content.1");
    expect(shape(classifyFailure(error, scope))).toEqual({
      status: 400,
      type: "invalid_request_error",
      message: "messages.2.content.1: image blocks are not supported by this profile",
      retry: false,
    });
  });

  it("a backend's failure by its table: a break mid-answer is a 502 worth a retry, streamed or not; a rate limit keeps its wait", () => {
    const mid = classifyFailure(broke("broken", "the connection closed mid-answer"), scope);
    expect(shape(mid)).toMatchObject({ status: 502, type: "api_error", retry: true });
    expect(streamedFailure(mid).type).toBe("overloaded_error");
    const limited = classifyFailure(broke("http", "429 Too Many Requests", { status: 429, retryAfter: "7" }), scope);
    expect(shape(limited)).toMatchObject({ status: 429, type: "rate_limit_error", retry: true, retryAfter: "7" });
    expect(streamedFailure(limited).message).toMatch(/\(retry after 7 s\)$/);
    expect(shape(classifyFailure(broke("unreachable", "connect ECONNREFUSED"), scope))).toMatchObject({ status: 503, retry: false });
  });

  it("what a server echoed of a key is not the client's to see", () => {
    const reply = classifyFailure(broke("http", "500: invalid key sk-secret", { status: 500 }), scope);
    expect(reply.message).not.toContain("sk-secret");
    expect(reply.message).toContain("[redacted]");
  });

  it("a full queue is overloaded; a client gone is 499; mallex's own refusal 503; a bug 500 with its sentence, never a stack", () => {
    const full = new BackendQueueFullError("local", { maxInFlight: 1, maxWaiting: 0 });
    expect(shape(classifyFailure(full, scope))).toMatchObject({ status: 529, type: "overloaded_error" });
    const aborted = Object.assign(new Error("aborted"), { name: "AbortError" });
    expect(shape(classifyFailure(aborted, scope))).toEqual({ status: 499, message: "The client closed the request.", retry: false });
    expect(shape(classifyFailure(new MallexError("E_USAGE", "the model server gave up"), scope))).toEqual({
      status: 503,
      message: "the model server gave up",
      retry: false,
    });
    const bug = classifyFailure(new TypeError("x is undefined"), scope);
    expect(shape(bug)).toEqual({ status: 500, type: "api_error", message: "mallex failed on this request: x is undefined", retry: false });
    expect(errorEventOf(bug)).toEqual({ type: "api_error", message: "mallex failed on this request: x is undefined" });
  });
});
