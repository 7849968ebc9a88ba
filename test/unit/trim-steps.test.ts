/**
 * Trimming as Steps: the block filters pause before every regex they run, and the proxy's driver
 * gives the event loop a turn whenever a run has gone its slice. What is checked here is what makes
 * that safe and useful: a pause never falls inside a regex (one filter's work over one unit at
 * most), the bytes are the same however often it pauses, and two requests whose pauses interleave
 * (sharing the server's prefix cache and filter memo) each get what they would get alone.
 */
import { describe, expect, it } from "vitest";
import type { CompiledFilter } from "../../src/compile/routing-table.js";
import type { LinearRegex } from "../../src/linear-regex/compile-linear-regex.js";
import type { AnthropicMessageParam, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { filterMessagesSteps } from "../../src/trim/apply-block-filters.js";
import { createPrefixCache } from "../../src/trim/prefix-cache.js";
import { compileFilters, FILTER_MAX_UNIT_CHARS, type RuntimeFilter } from "../../src/trim/run-filters.js";
import { runSteps, runStepsYielding, type Steps } from "../../src/trim/run-steps.js";
import { trimPlanFor, trimToFit } from "../../src/trim/plan-trim.js";
import { trimRequest, trimRequestSteps } from "../../src/trim/trim-request.js";
import { loadCapture, loadShipped } from "../helpers/trim-helpers.js";
import { describeWithShared } from "../helpers/shared-dir.js";

const DISCLAIMER = "IMPORTANT: this context may or may not be relevant to your tasks.";
const reminder = (inner: string) => `<system-reminder>${inner}</system-reminder>`;
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);

/** Steps that yield `count` times, then return `value`; `onStep` sees each resumption. */
function* counting<T>(count: number, value: T, onStep: () => void = () => {}): Steps<T> {
  for (let i = 0; i < count; i++) {
    yield;
    onStep();
  }
  return value;
}

describe("runStepsYielding", () => {
  it("returns the value itself, with no promise and no turn given, when the work fits in one slice", () => {
    let turns = 0;
    const result = runStepsYielding(counting(1000, "done"), { sliceMs: 10, now: () => 0, yieldTurn: async () => void (turns += 1) });
    expect(result).toBe("done");
    expect(turns).toBe(0);
  });

  it("gives the event loop a turn each time a run has gone the slice, and resolves to what runSteps gives", async () => {
    let clock = 0;
    let turns = 0;
    let stepsSinceTurn = 0;
    let longestRun = 0;
    const onStep = () => {
      clock += 1; // each step "takes" 1 ms
      stepsSinceTurn += 1;
      longestRun = Math.max(longestRun, stepsSinceTurn);
    };
    const result = runStepsYielding(counting(100, "done", onStep), {
      sliceMs: 10,
      now: () => clock,
      yieldTurn: async () => void ((turns += 1), (stepsSinceTurn = 0)),
    });
    expect(result).toBeInstanceOf(Promise);
    expect(await result).toBe(runSteps(counting(100, "done")));
    // A turn after each full slice but the last, which ends with the steps.
    expect(turns).toBe(9);
    expect(longestRun).toBeLessThanOrEqual(10);
  });

  it("lets an error thrown inside the steps out: thrown before the first turn, a rejection after it", async () => {
    function* failing(after: number): Steps<never> {
      for (let i = 0; i < after; i++) yield;
      throw new Error("bad step");
    }
    expect(() => runStepsYielding(failing(3), { sliceMs: 10, now: () => 0 })).toThrow("bad step");
    let clock = 0;
    await expect(runStepsYielding(failing(3), { sliceMs: 1, now: () => (clock += 1) })).rejects.toThrow("bad step");
  });
});

describe("the block filters as Steps", () => {
  const spaces: CompiledFilter = {
    id: "relevance-disclaimer",
    where: ["reminder", "tool_result"],
    pattern: { source: "\\s*IMPORTANT: this context may or may not be relevant to your tasks\\.[^\\n]*", flags: "" },
    action: "replace",
    replacement: "",
    priority: 30,
    sizes: ["small"],
  };
  const catastrophic: CompiledFilter = {
    id: "team-catastrophic",
    where: ["reminder", "system_message", "tool_result"],
    pattern: { source: "(\\w+\\s?)+ZZZQQQ", flags: "" },
    action: "drop",
    priority: 20,
    sizes: ["small"],
  };
  const unwrap: CompiledFilter = {
    id: "claude-md",
    where: ["reminder"],
    pattern: { source: "^# claudeMd", flags: "" },
    action: "unwrap",
    priority: 10,
    sizes: ["small"],
  };

  /** The filters with every regex call counted, so a test can see how many ran between two pauses. */
  function counted(filters: RuntimeFilter[]): { filters: RuntimeFilter[]; calls: () => number } {
    let calls = 0;
    const wrap = (regex: LinearRegex): LinearRegex => ({
      source: regex.source,
      flags: regex.flags,
      test: (text) => ((calls += 1), regex.test(text)),
      exec: (text) => ((calls += 1), regex.exec(text)),
      replace: (text, replacement) => ((calls += 1), regex.replace(text, replacement)),
    });
    return { filters: filters.map((filter) => ({ ...filter, regex: wrap(filter.regex) })), calls: () => calls };
  }

  const messages: AnthropicMessageParam[] = [
    { role: "user", content: [{ type: "text", text: `${reminder(`${" ".repeat(60_000)}${DISCLAIMER}`)}\n${reminder(fill("word ", 50_000))}\nHello` }] },
    { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "Bash", input: { command: "ls" } }] },
    {
      role: "user",
      content: [
        {
          type: "tool_result",
          tool_use_id: "t1",
          content: [
            { type: "text", text: `${fill("near IMPORTANT: this context ", 40_000)}` },
            { type: "text", text: "ok" },
          ],
        },
      ],
    },
    { role: "system", content: fill("word ", 30_000) },
    { role: "user", content: `${reminder("# claudeMd\nKeep it short.")}\nThanks` },
  ];

  it("pauses before every regex, so no run between two pauses holds more than one filter's work over one unit", () => {
    const { filters, calls } = counted(compileFilters([unwrap, catastrophic, spaces], "small"));
    const steps = filterMessagesSteps(messages, filters);
    let pauses = 0;
    for (;;) {
      const before = calls();
      const step = steps.next();
      // One test, or the replace of a filter whose test matched: never two filters, never two units.
      expect(calls() - before).toBeLessThanOrEqual(1);
      if (step.done === true) break;
      pauses += 1;
    }
    expect(pauses).toBe(calls());
    expect(pauses).toBeGreaterThan(8);
  });

  it("gives the same messages, hits and origins however often it pauses (every regex in its own slice, or none)", async () => {
    const alone = runSteps(filterMessagesSteps(messages, compileFilters([unwrap, catastrophic, spaces], "small")));
    let clock = 0;
    let turns = 0;
    const sliced = await runStepsYielding(filterMessagesSteps(messages, compileFilters([unwrap, catastrophic, spaces], "small")), {
      sliceMs: 1,
      now: () => (clock += 1),
      yieldTurn: async () => void (turns += 1),
    });
    expect(turns).toBeGreaterThan(8);
    expect(JSON.stringify(sliced)).toBe(JSON.stringify(alone));
    // The units were really filtered: the disclaimer replaced, the word runs (no ZZZQQQ) kept, the CLAUDE.md unwrapped.
    expect(alone.hits.map((hit) => hit.rule)).toEqual(expect.arrayContaining(["relevance-disclaimer", "unknown-reminder", "claude-md"]));
    expect(JSON.stringify(alone.messages)).not.toContain(DISCLAIMER);
  });

  it("a unit over the per-unit limit costs no regex and no pause", () => {
    const { filters, calls } = counted(compileFilters([catastrophic, spaces], "small"));
    const steps = filterMessagesSteps([{ role: "user", content: reminder(" ".repeat(FILTER_MAX_UNIT_CHARS + 1)) }], filters);
    expect(steps.next().done).toBe(true);
    expect(calls()).toBe(0);
  });
});

describeWithShared("trimRequest as Steps, on Claude Code's request with adversarial reminders", () => {
  /** Claude Code's captured request with `extra` reminders in its last user message. */
  function withReminders(extra: string[]): MessagesRequest {
    const body = structuredClone(loadCapture("main-request-2plus2.json"));
    const last = body.messages.findLast((message) => message.role === "user")!;
    const blocks = typeof last.content === "string" ? [{ type: "text" as const, text: last.content }] : last.content;
    last.content = [...blocks, ...extra.map((text) => ({ type: "text" as const, text }))];
    return body;
  }

  it("trims to the same bytes as trimRequest, alone or with another request's trim running in its pauses", async () => {
    const { table, templates } = await loadShipped();
    const profile = table.profiles["qwen3-coder-30b"]!;
    const options = { userAgent: "claude-cli/2.1.197 (external, cli)" };
    const requests = [
      withReminders(Array(6).fill(reminder(`${" ".repeat(60_000)}${DISCLAIMER}`))),
      withReminders([reminder(fill("Available agent types for the Agent tool:\n", 60_000)), reminder(fill("word ", 60_000))]),
    ];
    const fit = (body: MessagesRequest) => trimToFit((size) => trimRequestSteps(body, trimPlanFor(table, profile, size), templates, options), profile.size);
    const alone = requests.map((body) => JSON.stringify(runSteps(fit(body))));
    expect(JSON.stringify(runSteps(trimRequestSteps(requests[1]!, trimPlanFor(table, profile), templates, options)))).toBe(
      JSON.stringify(trimRequest(requests[1]!, trimPlanFor(table, profile), templates, options)),
    );

    let clock = 0;
    let turns = 0;
    // The real turn (setImmediate): the other request's slices run in between.
    const yieldTurn = () => new Promise<void>((resolve) => setImmediate(() => ((turns += 1), resolve())));
    const together = await Promise.all(requests.map((body) => runStepsYielding(fit(body), { sliceMs: 1, now: () => (clock += 1), yieldTurn })));
    expect(turns).toBeGreaterThan(20);
    expect(together.map((fitted) => JSON.stringify(fitted))).toEqual(alone);
  }, 60_000);
});

describe("the prefix cache while a prefix is trimmed in steps", () => {
  const plan = { profile: { name: "p" }, size: "small" } as never;
  const context = { preamble: [], loaded: new Set<string>(), claudeCode: false, agent: false } as never;
  const prefixOf = (name: string) => ({ name }) as never;

  it("keeps a long system prompt's prefix out while a short one's prefix is looked up and kept during its pause", () => {
    const cache = createPrefixCache({ maxPartChars: 100 });
    const chars = { system: 0, messages: 0, tools: 0 };
    const long = { systemJson: JSON.stringify("s".repeat(200)), chars } as never;
    const short = { systemJson: JSON.stringify("short"), chars } as never;
    let made = 0;
    const make = (name: string) =>
      function* (): Steps<never> {
        made += 1;
        yield;
        return prefixOf(name);
      };
    const pausedLong = cache.prefix(plan, long, { system: "s".repeat(200) } as never, context, make("long"));
    pausedLong.next(); // paused inside make()
    expect(runSteps(cache.prefix(plan, short, { system: "short" } as never, context, make("short")))).toEqual(prefixOf("short"));
    expect(runSteps(pausedLong)).toEqual(prefixOf("long"));
    expect(made).toBe(2);
    // The short one is kept; the long one was not (its part has no id), however the two interleaved.
    runSteps(cache.prefix(plan, short, { system: "short" } as never, context, make("short")));
    runSteps(cache.prefix(plan, long, { system: "s".repeat(200) } as never, context, make("long")));
    expect(made).toBe(3);
    expect(cache.stats()).toEqual({ hits: 1, misses: 3 });
  });
});
