import type { Size } from "../../generated/config.js";
import type { CompiledFilter, FilterTarget } from "../compile/routing-table.js";
import type { LinearRegex } from "../linear-regex/compile-linear-regex.js";
import { linearRegexOf } from "../linear-regex/linear-regex-of.js";
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
 * With linear-time regexes this bounds the time one request holds the event loop (see the README).
 */
export const FILTER_BUDGET_CHARS = 1024 * 1024;
const REPLACE_COST = 8;

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
  /** The pattern with its declared flags: `replace` substitutes every match only with `g`. */
  regex: LinearRegex;
  /** The request's scan budget, the same object for every filter of the request. */
  budget: FilterBudget;
}

/**
 * The filters that apply to a size, highest priority first (the order the table keeps them in);
 * a filter whose `unless_offered` tools are offered (or not known: no `offered`) is inactive.
 */
export function compileFilters(filters: readonly CompiledFilter[], size: Size, offered?: ReadonlySet<string>, budget: FilterBudget = { left: FILTER_BUDGET_CHARS }): RuntimeFilter[] {
  return filters
    .filter((filter) => filter.sizes.includes(size))
    .map((filter) => ({
      inactive: filter.unlessOffered !== undefined && (offered === undefined || filter.unlessOffered.some((name) => offered.has(name))),
      id: filter.id,
      where: new Set(filter.where),
      action: filter.action,
      replacement: filter.replacement ?? "",
      regex: linearRegexOf(filter.pattern),
      budget,
    }));
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
  const outcome: FilterOutcome = { text, unwrapped: false, matched: false, hits: [] };
  if (text.length > FILTER_MAX_UNIT_CHARS) return skip(outcome, path);
  for (const filter of filters) {
    if (!filter.where.has(target)) continue;
    if (!spend(filter.budget, outcome.text.length)) return skip(outcome, path);
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
