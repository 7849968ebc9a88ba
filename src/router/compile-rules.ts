import type { CompiledIntent, CompiledRegex, RoutingTable } from "../compile/routing-table.js";

export interface IntentRule extends Omit<CompiledIntent, "prompt" | "notPrompt"> {
  prompt: RegExp[];
  notPrompt: RegExp[];
}

/** The routing table's regexes, compiled once when the server loads it (they were checked at compile time). */
export interface RouterRules {
  aliases: Array<{ pattern: RegExp; profile: string }>;
  models: Array<{ pattern: RegExp; tier: RoutingTable["routing"]["defaultTier"] }>;
  intents: IntentRule[];
}

const toRegExp = ({ source, flags }: CompiledRegex): RegExp => new RegExp(source, flags);

export function compileRouterRules(table: RoutingTable): RouterRules {
  return {
    aliases: table.routing.aliases.map((alias) => ({ pattern: toRegExp(alias.pattern), profile: alias.profile })),
    models: table.routing.models.map((rule) => ({ pattern: toRegExp(rule.pattern), tier: rule.tier })),
    intents: table.intents.map((intent) => ({ ...intent, prompt: intent.prompt.map(toRegExp), notPrompt: intent.notPrompt.map(toRegExp) })),
  };
}
