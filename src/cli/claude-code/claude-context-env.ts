/**
 * The context window `mallex run` tells Claude Code, so that its auto-compact fires when the prompt
 * mallex sends the default tier's local model nears what that model takes — not before the first turn,
 * not after the server overflows — for any local context, 8 K tokens or 256 K.
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
 *   max output tokens being the model's (64,000 for Opus; 32,000 for a name it does not know) or
 *   `CLAUDE_CODE_MAX_OUTPUT_TOKENS`. It refuses to send at all ("Prompt is too long") from
 *   `model window − min(max output, 20_000) − 3_000`.
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
 * - What it counts against the threshold (2.1.197's autocompact check, "autocompact: tokens=…" in its
 *   debug log): the last answer's usage — input, cache and output tokens, which mallex reports from the
 *   local server, so the *trimmed* prompt — plus its estimate of the messages since. Before the first
 *   answer it estimates the messages alone (not its system prompt and tools).
 *
 * So mallex picks the window W whose threshold W − min(max output, 20,000) − 13,000 is 70% of the
 * trimmed prompt's limit (the rest is room for the turn that crosses it and for the compaction request) (the profile's input_budget, at most 75% of its context): W is larger than a
 * small context on purpose, as the 33,000-token reserve is Claude Code's, not the model's. It names the
 * model `mallex/<profile>` — `mallex/<the GGUF's name>` under `--embedded`, the model that answers —
 * (ANTHROPIC_MODEL, unless the user chose a model): not a Claude name, so
 * CLAUDE_CODE_MAX_CONTEXT_TOKENS sets the window below 100,000 too, and the header shows the local
 * model; and not a profile name, so mallex still routes it by tiers and intents (LOCAL_MODEL_PREFIX in
 * select-route.ts). A turn that still crosses the limit is refused as "prompt is too long", which Claude
 * Code answers by compacting.
 */
import type { CompiledProfile, RoutingTable } from "../../compile/routing-table.js";
import { budgetWithin } from "../../shared/context/answer-reserve.js";
import { compactAt } from "../../shared/context/compaction-point.js";
import { LOCAL_MODEL_PREFIX } from "../../router/select-route.js";

/** Claude Code raises a smaller CLAUDE_CODE_AUTO_COMPACT_WINDOW to this (for a Claude model name). */
export const CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW = 100_000;
/** What Claude Code keeps free below the window before it compacts: its answer (at most this)… */
const CLAUDE_CODE_OUTPUT_RESERVE_CAP = 20_000;
/** …its default answer for a model name it does not know… */
const CLAUDE_CODE_DEFAULT_MAX_OUTPUT = 32_000;
/** …and a fixed buffer. */
const CLAUDE_CODE_COMPACT_BUFFER = 13_000;
export interface ClaudeContextEnv {
  /** The variables to add to Claude Code's environment. */
  env: Record<string, string>;
  /** Lines for mallex's log: what was set, what the user's environment kept, what has no effect. */
  notes: string[];
}

/**
 * The most prompt tokens mallex sends the profile's model after trimming: its input_budget, and never
 * more than its context less the answer's share.
 */
export function trimmedPromptLimit(profile: CompiledProfile): number | undefined {
  // Untrimmed (trim: false), the budget is not applied: only the context bounds the prompt.
  return budgetWithin(profile.contextWindow, profile.trim === false ? undefined : profile.inputBudget);
}

/**
 * The window that makes Claude Code compact when the prompt mallex sends nears `limit`: Claude Code
 * counts the last answer's usage (what mallex reports: the trimmed prompt) plus its own estimate of
 * the messages since, and compacts at window − min(max output, 20,000) − 13,000.
 */
export function compactWindowFor(limit: number, userEnv: Readonly<Record<string, string | undefined>>): number {
  const userMaxOutput = Number(userEnv.CLAUDE_CODE_MAX_OUTPUT_TOKENS);
  const maxOutput = Number.isInteger(userMaxOutput) && userMaxOutput > 0 ? userMaxOutput : CLAUDE_CODE_DEFAULT_MAX_OUTPUT;
  return compactAt(limit) + Math.min(maxOutput, CLAUDE_CODE_OUTPUT_RESERVE_CAP) + CLAUDE_CODE_COMPACT_BUFFER;
}

export { compactAt };

/**
 * The context variables for Claude Code from the default tier's profile; none when that profile has
 * no limit (a Claude tier). A variable already in `userEnv` is left as the user set it.
 */
export function claudeContextEnv(
  table: RoutingTable,
  userEnv: Readonly<Record<string, string | undefined>>,
  claudeArgs: readonly string[] = [],
): ClaudeContextEnv {
  const tier = table.tiers[table.routing.defaultTier];
  const profile = tier ? table.profiles[tier.profile] : undefined;
  const limit = profile === undefined || table.backends?.[profile.backend]?.kind === "anthropic" ? undefined : trimmedPromptLimit(profile);
  if (profile === undefined || limit === undefined) return { env: {}, notes: [] };
  const window = compactWindowFor(limit, userEnv);
  const env: Record<string, string> = {};
  const notes: string[] = [];
  for (const name of ["CLAUDE_CODE_AUTO_COMPACT_WINDOW", "CLAUDE_CODE_MAX_CONTEXT_TOKENS"]) {
    const set = userEnv[name];
    if (set !== undefined && set !== "")
      notes.push(`${name}=${set} from your environment kept (mallex would set ${window} for ${profile.name}'s ${limit}-token prompt limit)`);
    else env[name] = String(window);
  }
  const modelChosen = (userEnv.ANTHROPIC_MODEL ?? "") !== "" || claudeArgs.some((arg) => arg === "--model" || arg.startsWith("--model="));
  // The model that answers, as Claude Code's header shows it: the profile's own, or the GGUF --embedded serves it with.
  if (!modelChosen) env.ANTHROPIC_MODEL = `${LOCAL_MODEL_PREFIX}${profile.servedName ?? profile.name}`;
  else if (window < CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW) {
    notes.push(
      `you chose the model Claude Code names: for a Claude name it takes no window under ${CLAUDE_CODE_MIN_AUTO_COMPACT_WINDOW}, so it may compact after ${profile.name}'s ${limit}-token prompt limit, and mallex then refuses a turn as "prompt is too long" (Claude Code compacts then)`,
    );
  }
  if (env.CLAUDE_CODE_AUTO_COMPACT_WINDOW !== undefined) {
    const named = env.ANTHROPIC_MODEL === undefined ? "" : ` as model ${env.ANTHROPIC_MODEL}`;
    // In a new user's words first (what they will see happen, and why), the setting last.
    const count = (n: number) => n.toLocaleString("en-US");
    notes.push(
      `Claude Code will summarize the conversation (compact) once it nears ${count(compactAt(limit))} tokens, since ${profile.name} takes prompts of ${count(limit)} tokens at most` +
        `${profile.contextWindow === undefined ? "" : ` (its context holds ${count(profile.contextWindow)})`}: mallex sets CLAUDE_CODE_AUTO_COMPACT_WINDOW=${window}${named}`,
    );
  }
  return { env, notes };
}
