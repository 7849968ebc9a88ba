import { describe, expect, it } from "vitest";
import { formatRequest, formatStatus } from "../../src/cli/format-status.js";

describe("formatRequest (mallex status)", () => {
  it("says a request's waits in the request log's words", () => {
    const line = formatRequest({ id: "req_1", at: "2026-11-22T12:00:01.000Z", model: "claude-sonnet-4-6", tier: "medium", profile: "coder", backend: "local", reason: "default → medium", status: 200, outcome: "ok", durationMs: 5000, queuedMs: 1250, loadingMs: 31020, ttftMs: 33000, stopReason: "end_turn" });
    expect(line).toBe("12:00:01 claude-sonnet-4-6 → medium/coder (local, default → medium) · queued 1.25 s · waited 31.02 s for the model server · ttft 33.00 s · stop end_turn");
  });
});

const GB = 1024 ** 3;
const NOW = Date.parse("2026-11-22T12:10:00.000Z");

describe("formatStatus (mallex status)", () => {
  it("shows each server's size with where it comes from, and the budget with what is held", () => {
    const lines = formatStatus(
      "http://127.0.0.1:4141",
      {
        type: "snapshot",
        requests: [],
        servers: [
          { key: "mlx--org_Deep", model: "org/Deep", state: "ready", port: 8081, pid: 42, since: "2026-11-22T12:00:00.000Z", restarts: 0, idleUnloadMs: 0 },
          { key: "mlx--org_Next", model: "org/Next", state: "stopped", since: "2026-11-22T12:09:00.000Z", restarts: 1, idleUnloadMs: 0 },
        ],
        pools: [],
        memory: {
          budgetBytes: 48 * GB,
          heldBytes: 12 * GB,
          servers: [
            { key: "mlx--org_Deep", bytes: 12 * GB, source: "weights on disk" },
            { key: "mlx--org_Next", source: "unknown" },
          ],
        },
      },
      { requests: 10, now: NOW },
    );
    expect(lines.slice(2, 6)).toEqual([
      "Model servers:",
      "  mlx--org_Deep (org/Deep): ready · port 8081 · pid 42 · for 10 min 0 s · 0 restarts · 12 GB (weights on disk)",
      "  mlx--org_Next (org/Next): stopped · for 1 min 0 s · 1 restart · size unknown until measured",
      "  memory: 12 GB held of the budget of 48 GB (25%)",
    ]);
  });

  it("prints one line per pool server, with an open one's cool-down left; nothing of memory without a budget", () => {
    const lines = formatStatus(
      "http://127.0.0.1:4141",
      {
        type: "snapshot",
        requests: [],
        servers: [],
        pools: [
          {
            backend: "mlx",
            servers: [
              { url: "http://a:8080/v1", state: "closed", requests: 2, inFlight: 1, waiting: 1, sessions: 1 },
              { url: "http://b:8080/v1", state: "open", coolDownLeftS: 75, requests: 0, inFlight: 0, waiting: 0, sessions: 0 },
              { url: "http://c:8080/v1", state: "half-open", requests: 1, inFlight: 1, waiting: 0, sessions: 3 },
            ],
          },
        ],
      },
      { requests: 10, now: NOW },
    );
    expect(lines).toEqual([
      "mallex at http://127.0.0.1:4141",
      "",
      "Model servers:",
      "  none started yet (one starts on the first request that needs it)",
      "",
      "Pools:",
      "  mlx http://a:8080/v1: closed · 2 requests (1 in flight, 1 queued) · 1 session",
      "  mlx http://b:8080/v1: open, cooling down 1 min 15 s more · 0 requests (0 in flight, 0 queued) · 0 sessions",
      "  mlx http://c:8080/v1: half-open · 1 request (1 in flight, 0 queued) · 3 sessions",
      "",
      "Requests:",
      "  none yet",
    ]);
  });
});
