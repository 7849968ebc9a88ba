/**
 * How long Claude Code lets a streamed answer go without an event before it gives up on it.
 *
 * Claude Code 2.1.197 aborts a stream after `CLAUDE_STREAM_IDLE_TIMEOUT_MS` without an event (at least
 * 300,000: smaller values are raised to it; "Streaming idle timeout: no chunks received for 300s,
 * aborting stream" in its debug log), and the Anthropic SDK it streams with skips `ping` events, which
 * are all mallex can send while a local model prefills. A 20,000-token prompt on a CPU prefills for
 * longer than that: Claude Code hung up at 5 minutes while the engine was still reading the prompt.
 * mallex watches the model server itself — a request with no progress for `wedge_timeout_s` restarts
 * it, one with no byte for `request_timeout_s` ends in an error event — so Claude Code's watchdog is
 * set past any prefill (its byte-level one, which pings feed, still runs).
 */
import type { RoutingTable } from "../../compile/routing-table.js";
import { TIER_ORDER } from "../../compile/routing-table.js";

/** One hour: past the prefill of a whole context on a slow machine (100,000 tokens at 30 tok/s is 56 min). */
export const CLAUDE_STREAM_IDLE_MS = 3_600_000;

export interface ClaudeStreamIdleEnv {
  env: Record<string, string>;
  notes: string[];
}

/** `CLAUDE_STREAM_IDLE_TIMEOUT_MS` when a tier is served by a local model; a value the user set is kept, and said. */
export function claudeStreamIdleEnv(table: RoutingTable, userEnv: Readonly<Record<string, string | undefined>>): ClaudeStreamIdleEnv {
  const local = TIER_ORDER.some((tier) => {
    const profile = table.tiers[tier] && table.profiles[table.tiers[tier].profile];
    return profile !== undefined && table.backends[profile.backend]?.kind === "openai";
  });
  if (!local) return { env: {}, notes: [] };
  const set = userEnv.CLAUDE_STREAM_IDLE_TIMEOUT_MS;
  if (set !== undefined && set !== "")
    return {
      env: {},
      notes: [
        `CLAUDE_STREAM_IDLE_TIMEOUT_MS=${set} from your environment kept: Claude Code gives up on an answer after that long without an event, and a local model's prefill sends none`,
      ],
    };
  return { env: { CLAUDE_STREAM_IDLE_TIMEOUT_MS: String(CLAUDE_STREAM_IDLE_MS) }, notes: [] };
}
