import { describe, expect, it } from "vitest";
import type { CompiledFilter, CompiledKeepRule } from "../../src/compile/routing-table.js";
import { compileLinearRegex, type LinearRegex } from "../../src/linear-regex/compile-linear-regex.js";
import type { IntentRule } from "../../src/router/compile-rules.js";
import { INTENT_MAX_TEXT_CHARS, matchIntent } from "../../src/router/match-intent.js";
import { extractKeptSections, extractKeptSectionsSteps, KEEP_BUDGET_CHARS, KEEP_MAX_SOURCE_CHARS } from "../../src/trim/system-prompt/extract-kept-sections.js";
import { compileFilters, createFilterMemo, FILTER_BUDGET_CHARS, FILTER_MAX_UNIT_CHARS, MEMO_MAX_UNIT_CHARS, runFilters } from "../../src/trim/run-filters.js";

const disclaimer: CompiledFilter = {
  id: "relevance-disclaimer",
  where: ["reminder"],
  pattern: { source: "\\s*IMPORTANT: this context may or may not be relevant to your tasks\\.[^\\n]*", flags: "" },
  action: "replace",
  replacement: "",
  priority: 30,
  sizes: ["small", "medium", "large"],
};
const nag: CompiledFilter = {
  id: "task-nag",
  where: ["reminder"],
  pattern: { source: "haven't been used recently", flags: "" },
  action: "drop",
  priority: 20,
  sizes: ["small"],
};
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

describe("remembered outcomes: a unit resent on the next turn is not filtered again", () => {
  it("gives the same outcome as filtering, at the new unit's path, spends none of the next request's budget, and keys on the active filters", () => {
    const memo = createFilterMemo();
    const first = runFilters(TEXT, "reminder", compileFilters([disclaimer, nag], "small", undefined, undefined, memo), "r1", 0);
    expect(first).toEqual(runFilters(TEXT, "reminder", compileFilters([disclaimer, nag], "small"), "r1", 0));
    expect(memo.size).toBe(1);
    const budget = { left: FILTER_BUDGET_CHARS };
    const again = runFilters(TEXT, "reminder", compileFilters([disclaimer, nag], "small", undefined, budget, memo), "messages.4.content.0", 0);
    expect(again).toEqual({ ...first, hits: first.hits.map((hit) => ({ ...hit, target: "messages.4.content.0" })) });
    expect(budget.left).toBe(FILTER_BUDGET_CHARS);
    // Another set of filters (here: the disclaimer alone) is another entry, not the first one's outcome.
    runFilters(TEXT, "reminder", compileFilters([disclaimer], "small", undefined, undefined, memo), "r1", 0);
    expect(memo.size).toBe(2);
  });

  it("remembers neither a unit over its limit nor one the budget cut short", () => {
    const memo = createFilterMemo();
    runFilters(`${" ".repeat(MEMO_MAX_UNIT_CHARS)}${TEXT}`, "reminder", compileFilters([disclaimer], "small", undefined, undefined, memo), "r1", 0);
    const spent = runFilters(TEXT, "reminder", compileFilters([disclaimer], "small", undefined, { left: 1 }, memo), "r2", 0);
    expect(spent.skipped).toBe(true);
    expect(memo.size).toBe(0);
  });
});

describe("keep rules' limits: what one request's keep rules may search", () => {
  const date: CompiledKeepRule = { id: "date", pattern: { source: "(?:# currentDate\\n)?(?<date>Today's date is [^\\n]*)", flags: "" } };
  const harness: CompiledKeepRule = { id: "harness", heading: "Harness" };
  const unit = (path: string, text: string) => ({ path, text });

  it("finds a fact in the system prompt or a preamble unit up to the limit, and does not search a longer one", () => {
    const fact = "Today's date is 2026-11-23.";
    const under = `${" ".repeat(KEEP_MAX_SOURCE_CHARS - fact.length)}${fact}`;
    expect(extractKeptSections(under, [date])).toEqual([{ id: "date", text: fact, charsCut: 0, from: "system", matched: fact }]);
    expect(extractKeptSections(`${" ".repeat(KEEP_MAX_SOURCE_CHARS)}${fact}`, [date])).toEqual([]);
    // Past a long unit, the next one is still searched.
    expect(extractKeptSections("", [date], [unit("messages.0", ` ${under}`), unit("messages.1", fact)])).toEqual([
      { id: "date", text: fact, charsCut: 0, from: "messages.1", matched: fact },
    ]);
  });

  it("stops searching once the request's keep budget is spent: a thousand long preamble units cost no more than a few", () => {
    const filler = unit("messages.0 (reminder 1)", "x".repeat(60_000));
    const units = Array.from({ length: 1000 }, (_, index) => ({ ...filler, path: `messages.0 (reminder ${index + 1})` }));
    const steps = extractKeptSectionsSteps("", [date, harness], [...units, unit("messages.1", "Today's date is 2026-11-23.")]);
    let searches = 0;
    let step = steps.next();
    for (; step.done !== true; step = steps.next()) searches += 1;
    // Each search pauses first. The date rule searches the (empty) system prompt and the units the
    // budget holds, then stops; the heading rule gets only the empty system prompt; the fact after
    // the thousand units is not reached.
    expect(searches).toBe(1 + Math.floor(KEEP_BUDGET_CHARS / 60_000) + 1);
    expect(step.value).toEqual([]);
  });
});

describe("intents' limit: what the prompt regexes read of a long user text", () => {
  const stillFailing = compileLinearRegex("\\b(still failing|try again)\\b", "i");
  const intent = (prompt: LinearRegex[], notPrompt: LinearRegex[] = []): IntentRule => ({ id: "try_again", route: { escalate: 1 }, prompt, notPrompt });
  const facts = (latestUserText: string) => ({
    latestUserText,
    turn: "user" as const,
    hasImages: false,
    chars: latestUserText.length,
    estimatedTokens: latestUserText.length / 4,
  });
  const paste = "log line\n".repeat((1024 * 1024) / 9);

  it("reads the text's start: words before a 1 MB paste still route, words past INTENT_MAX_TEXT_CHARS do not, and no regex sees more", () => {
    const seen: number[] = [];
    const counting: LinearRegex = { ...stillFailing, test: (text) => (seen.push(text.length), stillFailing.test(text)) };
    expect(matchIntent([intent([counting])], facts(`still failing:\n${paste}`))?.id).toBe("try_again");
    expect(matchIntent([intent([counting])], facts(`${paste}\nstill failing`))).toBeUndefined();
    expect(matchIntent([intent([counting])], facts(`${"x".repeat(INTENT_MAX_TEXT_CHARS - 20)} still failing`))?.id).toBe("try_again");
    expect(Math.max(...seen)).toBe(INTENT_MAX_TEXT_CHARS);
    // not_prompt reads the same start.
    expect(matchIntent([intent([stillFailing], [compileLinearRegex("\\bbut\\b", "i")])], facts(`still failing, but ${paste}`))).toBeUndefined();
  });

  it("max_chars still counts the whole text", () => {
    expect(matchIntent([{ ...intent([stillFailing]), maxChars: INTENT_MAX_TEXT_CHARS }], facts(`still failing ${paste}`))).toBeUndefined();
  });
});
