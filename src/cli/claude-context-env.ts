/**
 * The context window `mallex run` tells Claude Code: the default tier's local model's, so
 * auto-compact fires before the local context overflows rather than at Claude's 1M.
 *
 * How Claude Code 2.1.197 reads these (its bundled JS, `strings node_modules/.bin/claude`, and runs
 * of `claude -p /context` against a fake server; `/context` prints "Tokens: used / window"):
 *
 * - `CLAUDE_CODE_AUTO_COMPACT_WINDOW` (integer, tokens): the auto-compact window is
 *   `min(model window, max(100_000, value))` — values below 100,000 are raised to 100,000, values
 *   above 1,000,000 capped ("Capped from …" in its debug log), a non-number ignored. `/context` then
 *   shows "/ 100k" for 28000. It takes precedence over the `/config` setting.
 * - It reserves from that window itself: the compaction threshold is
 *   `window − min(max output tokens, 20_000) − 13_000` ("Autocompact buffer 33k" in `/context`), the
 *   max output tokens being the model's (64,000 for Opus) or `CLAUDE_CODE_MAX_OUTPUT_TOKENS`. So mallex
 *   passes the profile's `context_window` as is: subtracting `max_output_tokens` here too would
 *   reserve twice.
 * - `CLAUDE_CODE_MAX_CONTEXT_TOKENS`: the model window, but only for a model name that does not start
 *   with `claude-` (e.g. `mallex run -- --model qwen3-coder-30b`, or `ANTHROPIC_MODEL`); Claude names
 *   keep their own (`claude-opus-4-8[1m]`: 1,000,000, reported as `contextWindow` in the `-p` JSON
 *   result's `modelUsage`). With a local name `/context` shows "/ 65.5k" for 65536: the only way to
 *   a window under 100,000. (With `DISABLE_COMPACT` it applies to every name, but then nothing compacts.)
 * - `ANTHROPIC_DEFAULT_{OPUS,SONNET,HAIKU}_MODEL_NAME` (and `_DESCRIPTION`): only labels in the
 *   `/model` picker, and only while `ANTHROPIC_DEFAULT_<TIER>_MODEL` is set too; the header's name
 *   ("Opus 4.8 (1M context)") comes from Claude Code's built-in model table. Setting
 *   `ANTHROPIC_DEFAULT_OPUS_MODEL` to a local name makes the default model `<name>[1m]` (1M window)
 *   and pins mallex to that profile (no intents, no escalation), so mallex sets none of these.
 *   `ANTHROPIC_MODEL` / `--model` are passed through verbatim as the request's `model`, and name the
 *   model in the header.
 *
 * So for a window of 100,000 or more mallex gives Claude Code the model name `mallex/<profile>`
 * (ANTHROPIC_MODEL, unless the user set one or passed --model): not a Claude name, so
 * CLAUDE_CODE_MAX_CONTEXT_TOKENS is its window and the header shows the local model; and not a profile
 * name, so mallex still routes it by tiers and intents (LOCAL_MODEL_PREFIX in select-route.ts).
 * Under 100,000 it keeps the Claude name (window raised to 100,000): Claude Code counts its own whole
 * prompt (~20,000 tokens of system prompt and tools, which mallex trims to a few thousand) against the
 * window, and refuses with "Prompt is too long" before sending anything when that does not fit —
 * seen with an 8,192-token profile.
 */
import type { RoutingTable } from "../compile/routing-table.js";
import { LOCAL_MODEL_PREFIX } from "../router/select-route.js";

/** Claude Code raises a smaller CLAUDE_CODE_AUTO_COMPACT_WINDOW to this. */
export const CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW = 100_000;

export interface ClaudeContextEnv {
  /** The variables to add to Claude Code's environment. */
  env: Record<string, string>;
  /** Lines for mallex's log: what was set, what the user's environment kept, what has no effect. */
  notes: string[];
}

/**
 * The context variables for Claude Code from the default tier's profile; none when that profile has
 * no `context_window` (a Claude tier). A variable already in `userEnv` is left as the user set it.
 */
export function claudeContextEnv(table: RoutingTable, userEnv: Readonly<Record<string, string | undefined>>, claudeArgs: readonly string[] = []): ClaudeContextEnv {
  const tier = table.tiers[table.routing.defaultTier];
  const profile = tier ? table.profiles[tier.profile] : undefined;
  const window = profile?.contextWindow;
  if (profile === undefined || window === undefined) return { env: {}, notes: [] };
  const env: Record<string, string> = {};
  const notes: string[] = [];
  for (const name of ["CLAUDE_CODE_AUTO_COMPACT_WINDOW", "CLAUDE_CODE_MAX_CONTEXT_TOKENS"]) {
    const set = userEnv[name];
    if (set !== undefined && set !== "") notes.push(`${name}=${set} from your environment kept (${profile.name}'s context_window is ${window})`);
    else env[name] = String(window);
  }
  const modelChosen = (userEnv.ANTHROPIC_MODEL ?? "") !== "" || claudeArgs.some((arg) => arg === "--model" || arg.startsWith("--model="));
  const large = window >= CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW;
  if (!modelChosen && large) env.ANTHROPIC_MODEL = `${LOCAL_MODEL_PREFIX}${profile.name}`;
  if (env.CLAUDE_CODE_AUTO_COMPACT_WINDOW !== undefined) {
    const named = env.ANTHROPIC_MODEL === undefined ? "" : ` as model ${env.ANTHROPIC_MODEL}`;
    notes.push(`Claude Code told ${profile.name}'s context window${named}: CLAUDE_CODE_AUTO_COMPACT_WINDOW=${window}`);
    if (!large) {
      notes.push(
        `Claude Code raises an auto-compact window under ${CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW} to ${CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW} for Claude model names, and counts its own untrimmed prompt against the window, so mallex keeps the Claude name; requests over ${profile.name}'s input budget still escalate or are refused as "prompt is too long"`,
      );
    }
  }
  return { env, notes };
}
