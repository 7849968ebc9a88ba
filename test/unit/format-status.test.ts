import { describe, expect, it } from "vitest";
import { createMessageFormatter, formatRequest, formatStatus } from "../../src/cli/format-status.js";
import type { CapacitySummary } from "../../src/observe/dashboard/capacity-summary.js";
import type { ContextSummary } from "../../src/observe/dashboard/context-summary.js";

describe("formatRequest (mallex status)", () => {
  it("says a request's waits in the request log's words", () => {
    const line = formatRequest({
      id: "req_1",
      at: "2026-11-22T12:00:01.000Z",
      model: "claude-sonnet-4-6",
      tier: "medium",
      profile: "coder",
      backend: "local",
      reason: "default → medium",
      status: 200,
      outcome: "ok",
      durationMs: 5000,
      queuedMs: 1250,
      loadingMs: 31020,
      ttftMs: 33000,
      stopReason: "end_turn",
    });
    expect(line).toBe(
      "12:00:01 claude-sonnet-4-6 → medium/coder (local, default → medium) · queued 1.25 s · waited 31.02 s for the model server · ttft 33.00 s · stop end_turn",
    );
  });

  it("names the GGUF that served the profile, and an answer mallex's cap cut as max_tokens by mallex's cap (what the client was told, and whose cap)", () => {
    const line = formatRequest({
      id: "req_1",
      at: "2026-11-22T12:00:01.000Z",
      model: "mallex/tiny-chat",
      tier: "medium",
      profile: "coder",
      served: "tiny-chat",
      backend: "local",
      reason: "default → medium",
      status: 200,
      outcome: "ok",
      durationMs: 900,
      stopReason: "max_tokens",
      cutAtCap: 48,
    });
    expect(line).toBe("12:00:01 mallex/tiny-chat → medium/coder on tiny-chat (local, default → medium) · stop max_tokens (cut at 48 tokens by mallex's cap)");
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
    expect(lines.slice(3, 7)).toEqual([
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
      "  dashboard: http://127.0.0.1:4141/ui",
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

  it("shows each backend's capacity and where it came from, a pool's per server", () => {
    const capacity: CapacitySummary[] = [
      { backend: "mlx", maxInFlight: 32, source: "default for mlx-lm", maxWaiting: 128, waitingSource: "4 × in flight, at least 16", inFlight: 3, waiting: 0 },
      {
        backend: "llama",
        server: "http://a:8080/v1",
        maxInFlight: 4,
        source: "server: llama-server GET /props",
        maxWaiting: 16,
        waitingSource: "4 × in flight, at least 16",
        inFlight: 4,
        waiting: 2,
      },
      { backend: "ollama", maxInFlight: 2, source: "set", maxWaiting: 0, waitingSource: "set", inFlight: 0, waiting: 0 },
    ];
    const lines = formatStatus("http://127.0.0.1:4141", { type: "snapshot", requests: [], servers: [], pools: [], capacity }, { requests: 10, now: NOW });
    expect(lines.slice(5, 10)).toEqual([
      "",
      "Capacity (requests at once, and waiting past that):",
      "  mlx: 32 at once (default for mlx-lm), 128 may wait (4 × in flight, at least 16) · 3 in flight, 0 queued",
      "  llama http://a:8080/v1: 4 at once (server: llama-server GET /props), 16 may wait (4 × in flight, at least 16) · 4 in flight, 2 queued",
      "  ollama: 2 at once (set), 0 may wait (set) · 0 in flight, 0 queued",
    ]);
  });

  it("names the dashboard by the link that opens it: with the token status asked with, which only the proxy's record may hold (issue 50)", () => {
    const empty = { type: "snapshot" as const, requests: [], servers: [], pools: [] };
    expect(formatStatus("http://127.0.0.1:4141", empty, { requests: 10, now: NOW, pid: 42, token: "mallex-0123abcd" }).slice(0, 3)).toEqual([
      "mallex at http://127.0.0.1:4141 (pid 42)",
      "  dashboard: http://127.0.0.1:4141/ui#token=mallex-0123abcd",
      "",
    ]);
    // A token is one piece of the fragment, whatever it holds (the page reads up to an &).
    expect(formatStatus("http://127.0.0.1:4141", empty, { requests: 10, now: NOW, token: "a&b c" })[1]).toBe(
      "  dashboard: http://127.0.0.1:4141/ui#token=a%26b%20c",
    );
    // None: the page opens without one.
    expect(formatStatus("http://127.0.0.1:4141", empty, { requests: 10, now: NOW })[1]).toBe("  dashboard: http://127.0.0.1:4141/ui");
    // -f prints it with the snapshot it starts with.
    expect(createMessageFormatter("http://127.0.0.1:4141", 10, () => NOW, 42, "mallex-0123abcd")(empty)[1]).toBe(
      "  dashboard: http://127.0.0.1:4141/ui#token=mallex-0123abcd",
    );
  });

  it("promises a server on the first request only where this mallex starts one", () => {
    const empty = { type: "snapshot" as const, requests: [], servers: [], pools: [] };
    const supervising = formatStatus("http://127.0.0.1:4141", { ...empty, supervises: true }, { requests: 10, now: NOW });
    expect(supervising[4]).toBe("  none started yet (one starts on the first request that needs it)");
    const external = formatStatus("http://127.0.0.1:4141", { ...empty, supervises: false }, { requests: 10, now: NOW });
    expect(external[4]).toBe("  none: this mallex starts no model server (its backends are servers that run already)");
  });

  it("shows each profile's context in effect, where it comes from, and the declared window a server lowered", () => {
    const contexts: ContextSummary[] = [
      { profile: "tiny", backend: "ext", contextWindow: 4096, inputBudget: 3072, source: "llama-server GET /props", declared: 32768 },
      { profile: "coder", backend: "mlx", contextWindow: 32768, inputBudget: 8000, source: "declared", serverHolds: 131072 },
      { profile: "gguf", backend: "embedded", contextWindow: 8192, inputBudget: 6144, source: "engine context size" },
      { profile: "bare", backend: "llama", source: "unknown" },
      // Only an alias reaches it, and --embedded serves it with a GGUF of its own.
      { profile: "spare", backend: "embedded", served: "tiny-chat", usedBy: [], aliases: ["spare*"], contextWindow: 8192, source: "engine context size" },
    ];
    const lines = formatStatus("http://127.0.0.1:4141", { type: "snapshot", requests: [], servers: [], pools: [], contexts }, { requests: 10, now: NOW });
    expect(lines.slice(5, 12)).toEqual([
      "",
      "Context (tokens one request holds, and the prompt budget trimming aims for):",
      "  tiny (ext): 4096 tokens (llama-server GET /props; context_window 32768 lowered to it) · prompt budget 3072",
      "  coder (mlx): 32768 tokens (declared; its server holds 131072) · prompt budget 8000",
      "  gguf (embedded): 8192 tokens (engine context size) · prompt budget 6144",
      "  bare (llama): context unknown (no context_window declared, and its server has not said yet) · no prompt budget",
      "  spare (embedded, served by tiny-chat): 8192 tokens (engine context size) · no prompt budget · no tier uses it (only a model named like spare*)",
    ]);
    // A mallex from before contexts were shown sends none: no section.
    expect(formatStatus("http://127.0.0.1:4141", { type: "snapshot", requests: [], servers: [], pools: [] }, { requests: 10, now: NOW })).not.toContain(
      "Context (tokens one request holds, and the prompt budget trimming aims for):",
    );
  });
});

describe("createMessageFormatter (mallex status -f)", () => {
  it("prints a profile's context again only when it changed, and never the queues' load", () => {
    const declared: ContextSummary = { profile: "tiny", backend: "ext", contextWindow: 32768, inputBudget: 20000, source: "declared" };
    const coder: ContextSummary = { profile: "coder", backend: "mlx", contextWindow: 32768, inputBudget: 8000, source: "declared" };
    const format = createMessageFormatter("http://127.0.0.1:4141", 10, () => NOW);
    const snapshot = format({ type: "snapshot", requests: [], servers: [], pools: [], contexts: [declared, coder] });
    expect(snapshot).toContain("  tiny (ext): 32768 tokens (declared) · prompt budget 20000");
    const capacity: CapacitySummary[] = [
      {
        backend: "ext",
        maxInFlight: 2,
        source: "server: llama-server GET /props",
        maxWaiting: 16,
        waitingSource: "4 × in flight, at least 16",
        inFlight: 1,
        waiting: 0,
      },
    ];
    // The queue moved, the contexts did not: nothing to print.
    expect(format({ type: "capacity", capacity, contexts: [declared, coder] })).toEqual([]);
    // Its server said it holds 4,096 tokens.
    const lowered: ContextSummary = { ...declared, contextWindow: 4096, inputBudget: 3072, source: "llama-server GET /props", declared: 32768 };
    expect(format({ type: "capacity", capacity, contexts: [lowered, coder] })).toEqual([
      "Context now:",
      "  tiny (ext): 4096 tokens (llama-server GET /props; context_window 32768 lowered to it) · prompt budget 3072",
    ]);
    expect(format({ type: "capacity", capacity: [], contexts: [lowered, coder] })).toEqual([]);
  });
});
