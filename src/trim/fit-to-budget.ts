import { measurePrompt } from "../router/describe-request.js";
import { estimateTokens } from "../translate/estimate-tokens.js";
import type { AnthropicToolResultBlock, MessagesRequest } from "../translate/anthropic-types.js";
import { joinTextBlocks } from "../translate/join-text-blocks.js";
import { TrimError } from "./trim-error.js";
import type { PromptSize, TrimPlan, TrimRuleHit } from "./trim-types.js";
import { isHighSurrogate } from "../shared/is-high-surrogate.js";
import { budgetWithin } from "../shared/context/answer-reserve.js";
import { contextFix, largerContext } from "../shared/context/context-fix.js";

export interface BudgetOutcome {
  request: MessagesRequest;
  hits: TrimRuleHit[];
  size: PromptSize;
  /** Set when the request is still over the profile's input budget after every cut. */
  error?: TrimError;
}

/**
 * Makes the request fit the profile's input budget (estimated tokens of its prompt JSON) by
 * shortening tool results longer than `tool_result_max_chars` to that length, head and tail kept,
 * the OLDEST first, one at a time, until it fits. Nothing is ever removed, so a tool_use never
 * loses its tool_result.
 *
 * Prefix stability: a cut depends only on the result's text and the limit, so it is the same bytes
 * on every turn; and which results are cut is always "the first k long ones, counted from the
 * start of the conversation", where k only grows as the conversation does (Claude Code only
 * appends). So a result, once cut, stays cut the same way on every later turn, and the backend's
 * prefix cache is broken once per new cut, at that result, never before it.
 *
 * @param pathOf names a block in the report (trimRequest passes the path it had in Claude Code's request)
 * @param chars the request's measurePrompt chars when the caller knows them already (trimRequest does)
 */
export function fitToBudget(
  request: MessagesRequest,
  plan: TrimPlan,
  pathOf: (message: number, block: number) => string = (m, b) => `messages.${m}.content.${b}`,
  chars: number = measurePrompt(request).chars,
): BudgetOutcome {
  const budget = plan.profile.inputBudget;
  const size = { chars, tokens: estimateTokens(chars) };
  const outcome: BudgetOutcome = { request, hits: [], size };
  if (budget === undefined || size.tokens <= budget) return outcome;
  const max = plan.trimming.toolResultMaxChars;
  let cuts = 0;
  if (max !== undefined) {
    const messages = [...request.messages];
    for (const [index, message] of messages.entries()) {
      if (estimateTokens(chars) <= budget) break;
      if (typeof message.content === "string" || message.role !== "user") continue;
      const content = [...message.content];
      let changed = false;
      for (const [blockIndex, block] of content.entries()) {
        if (estimateTokens(chars) <= budget) break;
        if (block.type !== "tool_result") continue;
        const cut = shortenToolResult(block, max);
        if (cut === block) continue;
        const removed = JSON.stringify(block).length - JSON.stringify(cut).length;
        chars -= removed;
        cuts += 1;
        content[blockIndex] = cut;
        changed = true;
        outcome.hits.push({ rule: "budget", target: pathOf(index, blockIndex), charsRemoved: removed });
      }
      if (changed) messages[index] = { ...message, content };
    }
    outcome.request = { ...request, messages };
    // Each cut changed one block by `removed`: the rest of the prompt measures as before.
    outcome.size = { chars, tokens: estimateTokens(chars) };
  }
  if (outcome.size.tokens > budget) {
    const shortened = cuts === 0 ? "" : `, even after shortening ${cuts} tool result${cuts === 1 ? "" : "s"} to ${max} characters`;
    outcome.error = new TrimError("E_OVER_BUDGET", `${tooLong(outcome.size.tokens, plan)}${shortened}. ${remedy(plan)}`, {
      profileName: plan.profile.name,
      budgetTokens: budget,
      estimatedTokens: outcome.size.tokens,
    });
  }
  return outcome;
}

/**
 * The refusal of Claude Code's compaction request when even its instructions, with the conversation
 * cut to nothing, are over the budget: /compact cannot help there, only a larger context can.
 */
export function compactionTooLong(over: BudgetOutcome, plan: TrimPlan): TrimError {
  const budget = plan.profile.inputBudget!;
  return new TrimError(
    "E_OVER_BUDGET",
    `${tooLong(over.size.tokens, plan)}: Claude Code's compaction request does not fit even with its conversation cut, its summary instructions alone being too long. /compact cannot work in this context: run /clear, and for room to work in, ${fixOf(plan)}.`,
    { profileName: plan.profile.name, budgetTokens: budget, estimatedTokens: over.size.tokens },
  );
}

/**
 * The API's own opening ("prompt is too long: N tokens > M maximum"), which Claude Code recognises
 * (it shows "Prompt is too long" and compacts), then where the maximum comes from: a context too small
 * is a different fix from a declared input_budget.
 */
function tooLong(tokens: number, plan: TrimPlan): string {
  const { profile } = plan;
  const window = profile.contextWindow;
  const why = budgetFromContext(plan)
    ? `75% of the ${window}-token context its model holds; the rest is the answer's`
    : `its input_budget${window === undefined ? "" : `; its model's context holds ${window}`}`;
  return `prompt is too long: ${tokens} tokens > ${profile.inputBudget} maximum of mallex profile "${profile.name}" (${why})`;
}

/** What the user can do: make room in the conversation, and — what actually lifts the limit — a larger context or budget. */
function remedy(plan: TrimPlan): string {
  if (budgetFromContext(plan)) return `Run /compact or /clear; for room to work in, ${fixOf(plan)}.`;
  return `Run /compact or /clear, or raise input_budget of profile "${plan.profile.name}" ${plan.settingsIn ?? "in mallex.yaml"}.`;
}

function fixOf(plan: TrimPlan): string {
  return plan.contextFix ?? contextFix(undefined, largerContext(plan.profile.contextWindow));
}

/** The budget is what the context leaves (budgetWithin), not a smaller input_budget the config declared. */
function budgetFromContext(plan: TrimPlan): boolean {
  const window = plan.profile.contextWindow;
  return window !== undefined && plan.profile.inputBudget === budgetWithin(window, undefined);
}

/** The tool result cut to `max` characters of text (head and tail kept), or the same block when it fits. */
function shortenToolResult(block: AnthropicToolResultBlock, max: number): AnthropicToolResultBlock {
  const content = block.content;
  if (content === undefined) return block;
  if (typeof content === "string") return content.length <= max ? block : { ...block, content: shortenMiddle(content, max) };
  const texts = content.flatMap((part) => (part.type === "text" ? [part.text] : []));
  const text = joinTextBlocks(texts);
  if (text.length <= max) return block;
  const others = content.filter((part) => part.type !== "text");
  return { ...block, content: [{ type: "text", text: shortenMiddle(text, max) }, ...others] };
}

/**
 * `text` cut to at most `max` characters: the first 60% and the last 40% kept (at line breaks when
 * one is near), joined by "[… N chars cut by mallex …]". Deterministic.
 */
export function shortenMiddle(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - marker(text.length).length);
  let headEnd = Math.floor(room * 0.6);
  let tailStart = text.length - (room - headEnd);
  const lineEnd = text.lastIndexOf("\n", headEnd - 1);
  if (lineEnd >= headEnd * 0.8) headEnd = lineEnd;
  const lineStart = text.indexOf("\n", tailStart);
  if (lineStart >= 0 && lineStart < tailStart + (text.length - tailStart) * 0.2) tailStart = lineStart + 1;
  if (isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (isHighSurrogate(text.charCodeAt(tailStart - 1))) tailStart += 1;
  return `${text.slice(0, headEnd)}${marker(tailStart - headEnd)}${text.slice(tailStart)}`;
}

function marker(cut: number): string {
  return `\n[… ${cut} chars cut by mallex …]\n`;
}
