import type { RequestMetrics } from "../../src/observe/request-log.js";

/** A streamed local request: 8,000 prompt tokens (2,000 cached) to the first token in 3 s, then 201 tokens in 4 s. */
export const finished = (overrides: Partial<RequestMetrics> = {}): RequestMetrics => ({
  route: "r",
  charsIn: 1,
  charsOut: 1,
  started: 1_000,
  firstTokenAt: 4_000,
  finishedAt: 8_000,
  promptTokens: 8_000,
  cachedTokens: 2_000,
  outputTokens: 201,
  stopReason: "end_turn",
  ...overrides,
});
