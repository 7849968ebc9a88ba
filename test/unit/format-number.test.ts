/** formatNumber writes what Intl.NumberFormat("en-US") writes, without mapping ICU's data for the integers a proxy prints. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatNumber } from "../../src/shared/format-number.js";

const intl = new Intl.NumberFormat("en-US").format;

describe("formatNumber", () => {
  it("groups integers as Intl does, signs and zeros included", () => {
    for (const value of [0, -0, 7, 999, 1000, -1000, 12_345, 1_234_567, -98_765_432, 2 ** 53, -(2 ** 53), 1e20])
      expect(formatNumber(value), String(value)).toBe(intl(value));
    fc.assert(fc.property(fc.integer({ min: -(2 ** 53), max: 2 ** 53 }), (value) => formatNumber(value) === intl(value)));
  });

  it("leaves every other number to Intl", () => {
    for (const value of [1.5, 0.1234, -1234.5678, 1e21, 1e300, NaN, Infinity, -Infinity]) expect(formatNumber(value), String(value)).toBe(intl(value));
  });
});
