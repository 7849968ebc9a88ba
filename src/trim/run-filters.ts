import { createHash } from "node:crypto";
import type { Size } from "../../generated/config.js";
import type { CompiledFilter, FilterTarget } from "../compile/routing-table.js";
import type { LinearRegex } from "../linear-regex/compile-linear-regex.js";
import { linearRegexOf } from "../compile/linear-regex-of.js";
import { createLruMap, type LruMap } from "../shared/lru-map.js";
import { copyString } from "../shared/retention-limits.js";
import { runSteps, type Steps } from "./run-steps.js";
import type { TrimRuleHit } from "./trim-types.js";

/**
 * The longest unit (a system block, reminder, system message or tool result) the filters look at: a
 * longer one passes unfiltered, as a reminder no filter knows (kept, unwrapped), and the report says
 * so (rule `filter-limit`). Claude Code's own units are far shorter (its CLAUDE.md reminder is the
 * longest, a few KB to tens of KB); the limit is there so a client's megabytes of text cost nothing.
 */
export const FILTER_MAX_UNIT_CHARS = 64 * 1024;

/**
 * What all filters together may scan in one request, in characters: a filter testing a unit costs
 * its length, a replace (which finds every match's bounds and groups, several times slower in RE2's
 * NFA than a test in its DFA) eight times its length. Past it, units pass unfiltered (`filter-limit`).
 * With linear-time regexes this bounds the time one request holds the event loop (see
 * docs/configuration.md, "Rules that cannot freeze mallex").
 */
export const FILTER_BUDGET_CHARS = 1024 * 1024;
const REPLACE_COST = 8;

/**
 * Outcomes of earlier requests, by unit: Claude Code resends the same reminders (its skill and agent
 * lists, CLAUDE.md) on every turn of every session, and RE2's automaton, linear as it is, takes
 * ~0.5 µs a character to find a match's bounds: remembered, a turn pays only for its new text.
 * Units up to MEMO_MAX_UNIT_CHARS, keyed by a digest (the key holds no text); what it keeps is
 * bounded by MEMO_ENTRIES × that.
 */
export type FilterMemo = LruMap<string, MemoizedOutcome>;
type MemoizedOutcome = Omit<FilterOutcome, "hits" | "skipped"> & { hits: ReadonlyArray<Omit<TrimRuleHit, "target">> };

export const MEMO_ENTRIES = 256;
export const MEMO_MAX_UNIT_CHARS = 32 * 1024;

export function createFilterMemo(): FilterMemo {
  return createLruMap(MEMO_ENTRIES);
}

/** What the filters of one request have left to scan; shared by the filters compileFilters returns. */
export interface FilterBudget {
  left: number;
}

/** A filter ready to run: its regex runs in linear time and is compiled once per routing table. */
export interface RuntimeFilter {
  id: string;
  /**
   * Its `unless_offered` tools are offered: it acts on nothing, but what it matches is still known
   * text (a list for a tool the model has), not an unknown reminder.
   */
  inactive: boolean;
  where: ReadonlySet<FilterTarget>;
  action: CompiledFilter["action"];
  replacement: string;
  userText: boolean;
  /** The pattern with its declared flags: `replace` substitutes every match only with `g`. */
  regex: LinearRegex;
  /** The request's scan budget, the same object for every filter of the request. */
  budget: FilterBudget;
  /** The server's remembered outcomes and this filter set's key in it (which filters, which inactive), shared like the budget. */
  memo?: { outcomes: FilterMemo; key: string };
}

/**
 * The filters that apply to a size, highest priority first (the order the table keeps them in);
 * a filter whose `unless_offered` tools are offered (or not known: no `offered`) is inactive.
 */
export function compileFilters(
  filters: readonly CompiledFilter[],
  size: Size,
  offered?: ReadonlySet<string>,
  budget: FilterBudget = { left: FILTER_BUDGET_CHARS },
  outcomes?: FilterMemo,
): RuntimeFilter[] {
  const runtime = filters
    .filter((filter) => filter.sizes.includes(size))
    .map((filter): RuntimeFilter => ({
      inactive: filter.unlessOffered !== undefined && (offered === undefined || filter.unlessOffered.some((name) => offered.has(name))),
      id: filter.id,
      where: new Set(filter.where),
      action: filter.action,
      replacement: filter.replacement ?? "",
      userText: filter.userText === true,
      regex: linearRegexOf(filter.pattern),
      budget,
    }));
  if (outcomes === undefined) return runtime;
  // Patterns are compiled from the table, so ids and inactive flags name the set.
  const memo = { outcomes, key: runtime.map((filter) => `${filter.id}${filter.inactive ? "!" : ""}`).join("\u0000") };
  return runtime.map((filter) => ({ ...filter, memo }));
}

export interface FilterOutcome {
  /** The unit's text after every `replace` that ran. */
  text: string;
  /** The id of the filter that dropped the unit; later filters did not run. */
  droppedBy?: string;
  /** Whether an `unwrap` filter matched. */
  unwrapped: boolean;
  /** Whether any filter matched (an unmatched reminder is an unknown one). */
  matched: boolean;
  /** The unit was too long, or the request's budget spent: no filter looked at it (a `filter-limit` hit says so). */
  skipped?: boolean;
  /** `unwrap` and `replace` hits; the caller reports a drop, since only it knows what a drop removes. */
  hits: TrimRuleHit[];
}

/**
 * Runs the filters that look at `target` over one unit of text, by priority: each one that matches
 * acts on the text as the earlier ones left it. `drop` ends the run; `unwrap` and `replace` let
 * lower priorities run too (a reminder can be unwrapped, then have a sentence replaced).
 *
 * @param wrapperChars what an unwrap removes (the `<system-reminder>` tags around the unit)
 */
export function runFilters(text: string, target: FilterTarget, filters: readonly RuntimeFilter[], path: string, wrapperChars: number): FilterOutcome {
  return runSteps(filterUnitSteps(text, target, filters, path, wrapperChars));
}

/**
 * runFilters as Steps: it pauses before each regex a filter runs, so the longest uninterrupted piece
 * is one filter's test (and replace) over one unit of at most FILTER_MAX_UNIT_CHARS.
 */
export function* filterUnitSteps(
  text: string,
  target: FilterTarget,
  filters: readonly RuntimeFilter[],
  path: string,
  wrapperChars: number,
): Steps<FilterOutcome> {
  const memo = filters[0]?.memo;
  if (memo === undefined || text.length > MEMO_MAX_UNIT_CHARS) return yield* eachFilterSteps(text, target, filters, path, wrapperChars);
  const key = `${target}\u0000${wrapperChars}\u0000${memo.key}\u0000${createHash("sha256").update(text).digest("base64")}`;
  const known = memo.outcomes.get(key);
  if (known !== undefined) return { ...known, hits: known.hits.map((hit) => ({ ...hit, target: path })) };
  const outcome = yield* eachFilterSteps(text, target, filters, path, wrapperChars);
  // A unit the budget cut short is filtered again next time, when the budget may reach it.
  if (outcome.skipped !== true) memo.outcomes.set(key, { ...outcome, text: copyString(outcome.text), hits: outcome.hits.map(({ target: _, ...hit }) => hit) });
  return outcome;
}

function* eachFilterSteps(text: string, target: FilterTarget, filters: readonly RuntimeFilter[], path: string, wrapperChars: number): Steps<FilterOutcome> {
  const outcome: FilterOutcome = { text, unwrapped: false, matched: false, hits: [] };
  if (text.length > FILTER_MAX_UNIT_CHARS) return skip(outcome, path);
  for (const filter of filters) {
    if (!filter.where.has(target)) continue;
    if (!spend(filter.budget, outcome.text.length)) return skip(outcome, path);
    yield;
    if (!filter.regex.test(outcome.text)) continue;
    outcome.matched = true;
    if (filter.inactive) continue;
    switch (filter.action) {
      case "drop":
        outcome.droppedBy = filter.id;
        return outcome;
      case "unwrap":
        if (!outcome.unwrapped) {
          outcome.unwrapped = true;
          if (wrapperChars > 0) outcome.hits.push({ rule: filter.id, target: path, charsRemoved: wrapperChars });
        }
        break;
      case "replace": {
        if (!spend(filter.budget, outcome.text.length * REPLACE_COST)) return skip(outcome, path);
        yield;
        const next = filter.regex.replace(outcome.text, filter.replacement);
        if (next !== outcome.text) outcome.hits.push({ rule: filter.id, target: path, charsRemoved: outcome.text.length - next.length });
        outcome.text = next;
        break;
      }
      default:
        filter.action satisfies never;
    }
  }
  return outcome;
}

/** Takes `chars` from the budget when it holds them. */
function spend(budget: FilterBudget, chars: number): boolean {
  if (chars > budget.left) return false;
  budget.left -= chars;
  return true;
}

/** No (further) filter looks at the unit: what earlier filters did stands, and the report says why. */
function skip(outcome: FilterOutcome, path: string): FilterOutcome {
  outcome.skipped = true;
  outcome.hits.push({ rule: "filter-limit", target: path, charsRemoved: 0 });
  return outcome;
}
