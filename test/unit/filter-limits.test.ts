import { describe, expect, it } from "vitest";
import type { CompiledFilter } from "../../src/compile/routing-table.js";
import { compileFilters, FILTER_BUDGET_CHARS, FILTER_MAX_UNIT_CHARS, runFilters } from "../../src/trim/run-filters.js";

const disclaimer: CompiledFilter = {
  id: "relevance-disclaimer",
  where: ["reminder"],
  pattern: { source: "\\s*IMPORTANT: this context may or may not be relevant to your tasks\\.[^\\n]*", flags: "" },
  action: "replace",
  replacement: "",
  priority: 30,
  sizes: ["small", "medium", "large"],
};
const nag: CompiledFilter = { id: "task-nag", where: ["reminder"], pattern: { source: "haven't been used recently", flags: "" }, action: "drop", priority: 20, sizes: ["small"] };
const TEXT = "Context.\n IMPORTANT: this context may or may not be relevant to your tasks. Really.";

describe("filter limits: what one request's filters may scan", () => {
  it("filters a unit up to the per-unit limit, and passes a longer one unfiltered with a filter-limit hit", () => {
    const filters = compileFilters([disclaimer], "small");
    const under = `${" ".repeat(FILTER_MAX_UNIT_CHARS - TEXT.length)}${TEXT}`;
    const filtered = runFilters(under, "reminder", filters, "r1", 0);
    expect(filtered.skipped).toBeUndefined();
    expect(filtered.text).toBe(`${" ".repeat(FILTER_MAX_UNIT_CHARS - TEXT.length)}Context.`);
    const over = `${" ".repeat(FILTER_MAX_UNIT_CHARS)}${TEXT}`;
    const outcome = runFilters(over, "reminder", filters, "r2", 0);
    expect(outcome).toMatchObject({ text: over, matched: false, skipped: true, hits: [{ rule: "filter-limit", target: "r2", charsRemoved: 0 }] });
  });

  it("stops filtering once the request's budget is spent: later units pass unfiltered, earlier ones stay filtered", () => {
    const filters = compileFilters([disclaimer, nag], "small");
    const unit = `${" ".repeat(20_000)}${TEXT}`;
    const outcomes = Array.from({ length: 16 }, (_, index) => runFilters(unit, "reminder", filters, `r${index}`, 0));
    const filtered = outcomes.filter((outcome) => outcome.skipped !== true);
    // Each unit costs a test per filter plus a replace at eight times its length.
    expect(filtered.length).toBe(Math.floor(FILTER_BUDGET_CHARS / (unit.length * 8 + unit.length + (unit.length - TEXT.length + "Context.".length))));
    expect(filtered.every((outcome) => outcome.text.endsWith("Context."))).toBe(true);
    expect(outcomes.slice(filtered.length).every((outcome) => outcome.skipped === true && outcome.text === unit)).toBe(true);
    // Another request (another compileFilters) has its own budget.
    expect(runFilters(unit, "reminder", compileFilters([disclaimer, nag], "small"), "r", 0).skipped).toBeUndefined();
  });
});
