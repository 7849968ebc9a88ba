import type { RoutingTable } from "../../compile/routing-table.js";
import { claudeContextEnv } from "./claude-context-env.js";
import { claudeStreamIdleEnv } from "./claude-stream-idle-env.js";
import { claudeToolSearchEnv } from "./claude-tool-search-env.js";

type Env = Readonly<Record<string, string | undefined>>;

/** The proxy an eval's Claude Code talks to: its table as compiled and as it is now (refitted to its servers), its URL and token. */
export interface EvalProxy {
  table: RoutingTable;
  liveTable(): RoutingTable;
  url: string;
  token: string;
}

/**
 * Claude Code's environment for an eval's task, `mallex eval`'s and the Models page's alike: pointed at
 * the proxy with its token, pinned to `profile` where one is given (a profile's own name as the model
 * skips tiers and intents), told that profile's context, and kept to the task's own requests.
 */
export function evalClaudeEnv(proxy: EvalProxy, profile: string | undefined, env: Env): Record<string, string | undefined> {
  return {
    ...env,
    ...claudeContextEnv(pinned(proxy.liveTable(), profile), env, []).env,
    ...(profile !== undefined ? { ANTHROPIC_MODEL: profile } : {}),
    ...claudeToolSearchEnv(proxy.table, env).env,
    ...claudeStreamIdleEnv(proxy.table, env).env,
    ANTHROPIC_BASE_URL: proxy.url,
    ANTHROPIC_AUTH_TOKEN: proxy.token,
    ANTHROPIC_API_KEY: undefined,
    CLAUDE_CODE_ATTRIBUTION_HEADER: "0",
    // Only the task's own requests: no title or update traffic in its numbers.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
  };
}

/** The table with `profile` as the default tier's: the context Claude Code is told is that profile's. */
function pinned(table: RoutingTable, profile: string | undefined): RoutingTable {
  const tier = table.tiers[table.routing.defaultTier];
  if (profile === undefined || tier === undefined) return table;
  return { ...table, tiers: { ...table.tiers, [table.routing.defaultTier]: { ...tier, profile } } };
}
