import { describe, expect, it } from "vitest";
import { formatRequestLog, type RequestMetrics } from "../../src/observe/request-log.js";

const metrics = (overrides: Partial<RequestMetrics> = {}): RequestMetrics => ({
  route: "claude-opus-4-8 → coder (default → medium)",
  charsIn: 1_000,
  charsOut: 400,
  started: 0,
  firstTokenAt: 3_000,
  finishedAt: 5_000,
  promptTokens: 2_100,
  cachedTokens: 100,
  outputTokens: 101,
  stopReason: "end_turn",
  ...overrides,
});

describe("formatRequestLog", () => {
  it("says how long the request waited for its turn and for its model server, and times the prefill after them", () => {
    const line = formatRequestLog(metrics({ queuedMs: 1_250, loadingMs: 750, sentAt: 2_000 }));
    expect(line).toBe(
      "claude-opus-4-8 → coder (default → medium) · 1000 → 400 chars (−60%) · prompt 2100 tok (100 cached) · queued 1.25 s · waited 0.75 s for the model server · ttft 3.00 s · prefill 2000 tok/s · out 101 tok at 51 tok/s · stop end_turn",
    );
  });

  it("says nothing of a wait too short to matter", () => {
    const line = formatRequestLog(metrics({ queuedMs: 2, loadingMs: 0, sentAt: 2 }));
    expect(line).not.toMatch(/queued|waited/);
    expect(line).toContain("prefill 667 tok/s");
  });
});
