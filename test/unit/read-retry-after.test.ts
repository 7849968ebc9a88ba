import { describe, expect, it } from "vitest";
import { readRetryAfter } from "../../src/backends/read-retry-after.js";

describe("readRetryAfter", () => {
  it("passes the backend's own retry-after through as it is, seconds or a date", () => {
    expect(readRetryAfter(new Headers({ "retry-after": "7" }))).toBe("7");
    expect(readRetryAfter(new Headers({ "retry-after": "Wed, 21 Oct 2026 07:28:00 GMT", "retry-after-ms": "10" }))).toBe("Wed, 21 Oct 2026 07:28:00 GMT");
  });

  it("derives whole seconds from retry-after-ms", () => {
    expect(readRetryAfter(new Headers({ "retry-after-ms": "1200" }))).toBe("2");
  });

  it("derives the later of OpenAI's reset durations", () => {
    expect(readRetryAfter(new Headers({ "x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "1.5s" }))).toBe("360");
    expect(readRetryAfter(new Headers({ "x-ratelimit-reset-tokens": "250ms" }))).toBe("1");
  });

  it("says nothing when no header says, or one cannot be read", () => {
    expect(readRetryAfter(new Headers())).toBeUndefined();
    expect(readRetryAfter(new Headers({ "x-ratelimit-reset-requests": "soon" }))).toBeUndefined();
    expect(readRetryAfter(new Headers({ "retry-after-ms": "never" }))).toBeUndefined();
  });
});
