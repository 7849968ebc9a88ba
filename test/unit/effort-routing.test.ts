import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { compileLinearRegex, type LinearRegex } from "../../src/linear-regex/compile-linear-regex.js";
import { classifierIntents } from "../../src/router/classifier-prompt.js";
import { compileRouterRules, type RouterRules } from "../../src/router/compile-rules.js";
import { describeRequest, requestEffort } from "../../src/router/describe-request.js";
import { matchIntent } from "../../src/router/match-intent.js";
import { routeOffline } from "../../src/router/route-offline.js";
import { selectRoute } from "../../src/router/select-route.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { compileShipped } from "../helpers/trim-helpers.js";

/** Claude Code's request with `output_config.effort` (absent: none), and per-turn system messages after the user's. */
const request = (effort: string | undefined, text = "explain this module", turns: MessagesRequest["messages"] = []): MessagesRequest => ({
  model: "claude-opus-4-8",
  max_tokens: 64000,
  messages: [{ role: "user", content: text }, ...turns],
  ...(effort === undefined ? {} : { output_config: { effort } }),
});

describe("requestEffort: the effort a request asks for", () => {
  it("is output_config.effort, and undefined without one", () => {
    expect(requestEffort(request("low"))).toBe("low");
    expect(requestEffort(request(undefined))).toBeUndefined();
    expect(requestEffort({ messages: [], output_config: { format: { type: "json_schema", schema: {} } } })).toBeUndefined();
  });

  it("is the last per-turn effort of Claude Code's system messages when the user changed it mid-conversation", () => {
    const turns: MessagesRequest["messages"] = [
      { role: "system", content: [], output_config: { effort: "max" } },
      { role: "assistant", content: "done" },
      { role: "user", content: "now the tests" },
      { role: "system", content: [], output_config: { effort: "low" } },
    ];
    expect(requestEffort(request("medium", "fix it", turns))).toBe("low");
    expect(requestEffort(request("medium", "fix it", turns.slice(0, 3)))).toBe("max");
    // A system message without an effort (its agent lists) changes nothing.
    expect(requestEffort(request("high", "fix it", [{ role: "system", content: "Available agent types: …" }]))).toBe("high");
  });
});

describe("intents on the request's effort (match.effort)", () => {
  const intent = (effort: RoutingTable["intents"][number]["effort"], prompt: LinearRegex[] = []) =>
    ({ id: "quick", route: { tier: "low" as const }, prompt, notPrompt: [], ...(effort ? { effort } : {}) }) as RouterRules["intents"][number];

  it("match when the effort is one of those listed, never without an effort", () => {
    const rule = intent(["low", "medium"]);
    expect(matchIntent([rule], describeRequest(request("low")))).toBe(rule);
    expect(matchIntent([rule], describeRequest(request("medium")))).toBe(rule);
    expect(matchIntent([rule], describeRequest(request("high")))).toBeUndefined();
    expect(matchIntent([rule], describeRequest(request(undefined)))).toBeUndefined();
  });

  it("hold together with the other conditions", () => {
    const rule = intent(["max"], [compileLinearRegex("\\brefactor\\b", "i")]);
    expect(matchIntent([rule], describeRequest(request("max", "refactor the parser")))).toBe(rule);
    expect(matchIntent([rule], describeRequest(request("max", "what is this?")))).toBeUndefined();
    expect(matchIntent([rule], describeRequest(request("low", "refactor the parser")))).toBeUndefined();
  });

  it("are never offered to the model classifier, which cannot see the effort", () => {
    const rules = [intent(["low"]), { ...intent(undefined, [compileLinearRegex("x", "")]), id: "words" }];
    expect(classifierIntents(rules).map((i) => i.id)).toEqual(["words"]);
  });
});

describe("the shipped effort rules", () => {
  let table: RoutingTable;
  let rules: RouterRules;
  beforeAll(() => {
    table = compileShipped().table;
    rules = compileRouterRules(table);
  });
  const everyBackend = () => ({ ok: true as const });
  const route = (req: MessagesRequest, sessionTier?: "low" | "medium" | "high") => {
    const result = selectRoute({ model: req.model, facts: describeRequest(req), sessionTier }, table, rules, everyBackend);
    if (!result.ok) throw new Error(result.message);
    return result.route;
  };

  it("send /effort low to the low tier and /effort max to the high tier, before any rule on the words, naming the effort", () => {
    expect(route(request("low", "design a plan for the cache"))).toMatchObject({ tier: "low", reason: "intent effort_low (effort low) → low" });
    expect(route(request("max", "thanks!"))).toMatchObject({ tier: "high", reason: "intent effort_max (effort max) → high" });
    expect(route(request("low"), "high")).toMatchObject({ tier: "low" });
  });

  it("leave medium, high, xhigh (Claude Code's model defaults) and no effort to the other rules", () => {
    for (const effort of ["medium", "high", "xhigh", undefined]) {
      expect(route(request(effort, "explain this module"))).toMatchObject({ tier: "medium", reason: "default → medium", unsure: true });
      expect(route(request(effort, "thanks!"))).toMatchObject({ tier: "low", reason: "intent chit_chat → low" });
    }
  });

  it("are decided by a setting, not by the words: the turn is not remembered by its words", () => {
    const decided = route(request("low", "explain this module"));
    expect(decided.byWords).toBeUndefined();
    expect(decided.unsure).toBeUndefined();
  });

  it("fall back like any route: /effort max without an API key stays local, and says so", () => {
    const result = routeOffline(request("max"), table, {});
    expect(result.ok && result.route).toMatchObject({ tier: "medium", reason: "intent effort_max (effort max) → high → fallback medium" });
  });

  it("route `mallex explain` the same way (routeOffline)", () => {
    const result = routeOffline(request("low"), table, { ANTHROPIC_API_KEY: "sk-test" });
    expect(result.ok && result.route).toMatchObject({ tier: "low", reason: "intent effort_low (effort low) → low" });
  });
});
