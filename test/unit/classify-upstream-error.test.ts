import { describe, expect, it } from "vitest";
import { BackendError } from "../../src/backends/backend-error.js";
import { classifyUpstreamError, type UpstreamCall } from "../../src/backends/classify-upstream-error.js";
import { upstreamTimeouts } from "../../src/backends/upstream-client.js";
import { MallexError } from "../../src/shared/mallex-error.js";

const call = (signal = new AbortController().signal): UpstreamCall => ({
  backend: "llama",
  baseUrl: "http://10.0.0.5:8080/v1",
  url: "http://10.0.0.5:8080/v1/chat/completions",
  timeouts: upstreamTimeouts({ name: "llama", timeoutMs: 120_000, connectTimeoutMs: 5000 }, 600_000),
  signal,
});
/** What ofetch throws: its FetchError around fetch's TypeError around the socket's error. */
const fetchFailure = (code: string) =>
  new Error("[POST] …: <no response> fetch failed", { cause: new TypeError("fetch failed", { cause: Object.assign(new Error(code), { code }) }) });

describe("classifyUpstreamError", () => {
  it("says not reachable only when no connection was made", () => {
    for (const code of ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH"]) {
      const error = classifyUpstreamError(fetchFailure(code), call(), "headers") as BackendError;
      expect([error.failure, error.message]).toEqual(["unreachable", `llama at http://10.0.0.5:8080/v1 is not reachable (${code})`]);
    }
    const timedOut = classifyUpstreamError(fetchFailure("UND_ERR_CONNECT_TIMEOUT"), call(), "headers") as BackendError;
    expect([timedOut.failure, timedOut.message]).toEqual([
      "unreachable",
      "llama at http://10.0.0.5:8080/v1 is not reachable (no connection within 5 s; the limit is backends.llama.connect_timeout_s)",
    ]);
  });

  it("a silence is a timeout naming the backend's own setting", () => {
    const headers = classifyUpstreamError(fetchFailure("UND_ERR_HEADERS_TIMEOUT"), call(), "headers") as BackendError;
    expect(headers.failure).toBe("timeout");
    expect(headers.message).toBe(
      "llama at http://10.0.0.5:8080/v1 sent no answer within 2 min. If the model needs longer (a long prompt, a busy server), raise backends.llama.timeout_s in mallex.yaml",
    );
    const body = classifyUpstreamError(
      new TypeError("terminated", { cause: Object.assign(new Error("Body Timeout Error"), { code: "UND_ERR_BODY_TIMEOUT" }) }),
      call(),
      "body",
    ) as BackendError;
    expect(body.message).toMatch(/^llama at \S+ went silent for 2 min partway through its answer\./);
  });

  it("a hang-up before the headers is closed, after them broken", () => {
    expect((classifyUpstreamError(fetchFailure("ECONNRESET"), call(), "headers") as BackendError).failure).toBe("closed");
    expect(
      (
        classifyUpstreamError(
          new TypeError("terminated", { cause: Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }) }),
          call(),
          "body",
        ) as BackendError
      ).failure,
    ).toBe("broken");
    expect((classifyUpstreamError(fetchFailure("ERR_TLS_CERT_ALTNAME_INVALID"), call(), "headers") as BackendError).message).toBe(
      "the connection to llama at http://10.0.0.5:8080/v1 failed (ERR_TLS_CERT_ALTNAME_INVALID)",
    );
  });

  it("an abort is no backend failure: the supervisor's reason as it is, a client's as an AbortError", () => {
    const wedged = new AbortController();
    const reason = new MallexError("E_SERVER_FAILED", "The model server stopped producing tokens; mallex is restarting it.");
    wedged.abort(reason);
    expect(classifyUpstreamError(fetchFailure("ECONNRESET"), call(wedged.signal), "body")).toBe(reason);
    const gone = new AbortController();
    gone.abort();
    expect(classifyUpstreamError(new DOMException("This operation was aborted", "AbortError"), call(gone.signal), "body")).toMatchObject({
      name: "AbortError",
    });
  });

  it("falls back to server.request_timeout_s when the backend sets no timeout_s", () => {
    expect(upstreamTimeouts({ name: "mlx" }, 600_000)).toEqual({
      connectMs: 10_000,
      silenceMs: 600_000,
      silenceSetting: "server.request_timeout_s (or backends.mlx.timeout_s)",
    });
    expect(upstreamTimeouts({ name: "mlx" }, 300).connectMs).toBe(300);
  });
});
