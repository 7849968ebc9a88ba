import type { CompiledIntent } from "../compile/routing-table.js";
import type { Templates } from "../templates/load-templates.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../translate/convert-anthropic-to-openai.js";
import type { TranslateOptions } from "../translate/translate-options.js";
import { continuedMessages } from "./continued-request.js";
import { ownText } from "./own-text.js";

/**
 * The classifier prompt's budget in estimated tokens (estimateTokens: 3.5 characters a token),
 * template and intents included. Kept under 300 with room for the chat template's own tokens and
 * for text that tokenizes denser than prose (code, snake_case ids: ~3 characters a token).
 */
export const CLASSIFIER_PROMPT_TOKENS = 250;
const PROMPT_CHARS = CLASSIFIER_PROMPT_TOKENS * 3.5;
/** The user's text keeps at least this much however long the intents list is (a config with many intents may pass the budget). */
const MIN_TEXT_CHARS = 200;
/** `{"intent": "<id>"}` is ~10 tokens; room for a long id, never for an essay. */
export const CLASSIFIER_MAX_TOKENS = 32;

/**
 * The text of the user turn a request belongs to: the last user message that is not tool results,
 * without Claude Code's <system-reminder> blocks. A tool round trip gives the turn that started it,
 * so it shares that turn's classification, and so does Claude Code's request to go on with a cut
 * answer (continuedMessages). "" when the user wrote nothing of their own.
 */
export function userTurnText(request: Pick<MessagesRequest, "messages">): string {
  const turn = continuedMessages(request.messages).findLast(
    (m) => m.role === "user" && (typeof m.content === "string" || !m.content.some((b) => b.type === "tool_result")),
  );
  if (turn === undefined) return "";
  return ownText(typeof turn.content === "string" ? [{ type: "text", text: turn.content }] : turn.content);
}

/**
 * The intents the classifier may pick: those an intent on the request's effort (`match.effort`) is
 * not, since a setting decides it, which the classifier never sees.
 */
export function classifierIntents<T extends Pick<CompiledIntent, "effort">>(intents: readonly T[]): T[] {
  return intents.filter((intent) => intent.effort === undefined);
}

/**
 * The classifier template rendered for one user turn: only the user's own words (never the system
 * prompt, tools or history), shortened so the whole prompt stays within CLASSIFIER_PROMPT_TOKENS.
 */
export function renderClassifierPrompt(
  text: string,
  intents: readonly Pick<CompiledIntent, "id" | "description">[],
  templates: Templates,
  template: string,
): string {
  const list = intents.map((intent) => ({ id: intent.id, description: intent.description ?? "" }));
  const frame = templates.render(template, { prompt: "", intents: list });
  return templates.render(template, { prompt: shorten(text, Math.max(MIN_TEXT_CHARS, Math.floor(PROMPT_CHARS - frame.length))), intents: list });
}

const GAP = " […] ";

/** The head and the tail of a long text: the ask sits at either end of a pasted log or file. */
export function shorten(text: string, max: number): string {
  if (text.length <= max) return text;
  const room = Math.max(0, max - GAP.length);
  const head = Math.ceil((room * 2) / 3);
  return `${text.slice(0, head)}${GAP}${text.slice(text.length - (room - head))}`;
}

/**
 * The upstream body that asks the classifier profile: one user message, a few output tokens,
 * temperature 0 (the same turn always gets the same answer), thinking off (a reasoning preamble
 * would spend the token budget before the answer), not streamed.
 */
export function buildClassifierBody(prompt: string, options: TranslateOptions): string {
  const request: MessagesRequest = { model: "classifier", max_tokens: CLASSIFIER_MAX_TOKENS, temperature: 0, messages: [{ role: "user", content: prompt }] };
  return JSON.stringify({ ...convertAnthropicToOpenAI(request, { ...options, enableThinking: false }), stream: false });
}
