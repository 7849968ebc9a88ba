import type { CompiledIntent, RoutingTable } from "../compile/routing-table.js";
import type { LinearRegex } from "../linear-regex/compile-linear-regex.js";
import { linearRegexOf } from "../compile/linear-regex-of.js";

export interface IntentRule extends Omit<CompiledIntent, "prompt" | "notPrompt"> {
  prompt: LinearRegex[];
  notPrompt: LinearRegex[];
}

/**
 * The routing table's regexes, compiled once when the server loads it (they were checked at compile
 * time), in linear time: a client's 30 MB model name against a glob such as `*a*a*a*` is one pass.
 */
export interface RouterRules {
  aliases: Array<{ pattern: LinearRegex; profile: string }>;
  models: Array<{ pattern: LinearRegex; tier: RoutingTable["routing"]["defaultTier"] }>;
  intents: IntentRule[];
}

const toRegExp = linearRegexOf;

export function compileRouterRules(table: RoutingTable): RouterRules {
  return {
    aliases: table.routing.aliases.map((alias) => ({ pattern: toRegExp(alias.pattern), profile: alias.profile })),
    models: table.routing.models.map((rule) => ({ pattern: toRegExp(rule.pattern), tier: rule.tier })),
    intents: table.intents.map((intent) => ({ ...intent, prompt: intent.prompt.map(toRegExp), notPrompt: intent.notPrompt.map(toRegExp) })),
  };
}
