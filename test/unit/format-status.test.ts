import { describe, expect, it } from "vitest";
import { formatRequest } from "../../src/cli/format-status.js";

describe("formatRequest (mallex status)", () => {
  it("says a request's waits in the request log's words", () => {
    const line = formatRequest({ id: "req_1", at: "2026-11-22T12:00:01.000Z", model: "claude-sonnet-4-6", tier: "medium", profile: "coder", backend: "local", reason: "default → medium", status: 200, outcome: "ok", durationMs: 5000, queuedMs: 1250, loadingMs: 31020, ttftMs: 33000, stopReason: "end_turn" });
    expect(line).toBe("12:00:01 claude-sonnet-4-6 → medium/coder (local, default → medium) · queued 1.25 s · waited 31.02 s for the model server · ttft 33.00 s · stop end_turn");
  });
});
