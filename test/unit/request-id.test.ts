import { describe, expect, it } from "vitest";
import { createIdGenerator } from "../../src/http/request-id.js";

describe("createIdGenerator", () => {
  it("makes API-shaped ids, all different across refills of its pool", () => {
    const ids = createIdGenerator(64); // a refill every few ids
    const made = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? ids.requestId() : ids.id("toolu")));
    expect(new Set(made).size).toBe(made.length);
    for (const id of made.filter((_, i) => i % 2 === 0)) expect(id).toMatch(/^req_011C[1-9A-HJ-NP-Za-km-z]{20}$/);
    for (const id of made.filter((_, i) => i % 2 === 1)) expect(id).toMatch(/^toolu_[0-9a-f]{24}$/);
  });
});
