// @ts-check
/**
 * Turns a scripted response into the token sequence the model "generates", with the
 * state each token has in mlx-lm's output state machine (`normal | reasoning | tool`).
 * Marker tokens (`<think>`, `</tool_call>`, EOS, a matched stop sequence) carry no text,
 * like after `_process_control_tokens`. `max_tokens` cuts the sequence (finish "length").
 */
import { renderToolCallBody, tokenize } from "./chat-template.js";

/** @typedef {import("../mlx-lm-server.js").FakeScript} FakeScript */
/** @typedef {import("../mlx-lm-server.js").FakeToolCall} FakeToolCall */
/**
 * @typedef {{ state: "normal" | "reasoning" | "tool", text: string, id: string, call?: FakeToolCall }} PlannedToken
 * `call` is set on the `</tool_call>` marker that completes that call; `id` is the token
 * as the prompt cache stores it.
 */

/**
 * @param {FakeScript} script
 * @param {{ maxTokens: number, stopWords: string[], chat: boolean }} request
 * @returns {{ tokens: PlannedToken[], finishReason: "stop" | "length" }}
 */
export function planGeneration(script, { maxTokens, stopWords, chat }) {
  /** @type {PlannedToken[]} */
  const tokens = [];
  /** @param {PlannedToken["state"]} state @param {string[]} pieces */
  const push = (state, pieces) => {
    for (const text of pieces) tokens.push({ state, text, id: text });
  };
  /** @param {PlannedToken["state"]} state @param {string} id */
  const marker = (state, id) => tokens.push({ state, text: "", id });

  if (chat && script.reasoning !== undefined) {
    marker("reasoning", "<think>");
    push("reasoning", pieces(script.reasoning));
    marker("normal", "</think>");
  }
  const text = [...pieces(script.text ?? ""), ...pieces(script.rawText ?? "")];
  const stop = findStop(text.join(""), stopWords);
  if (stop) {
    push("normal", tokenize(stop.before));
    for (const piece of tokenize(stop.word)) marker("normal", piece);
    return cut(tokens, maxTokens);
  }
  push("normal", text);
  for (const call of chat ? (script.toolCalls ?? []) : []) {
    marker("tool", "<tool_call>");
    push("tool", tokenize(renderToolCallBody(call.name, call.arguments)));
    tokens.push({ state: "normal", text: "", id: "</tool_call>", call });
  }
  marker("normal", "<|im_end|>");
  return cut(tokens, maxTokens);
}

/**
 * Applies `max_tokens`: a longer sequence is cut and finishes with "length". With 0,
 * generate_step yields nothing and the handler keeps its default, "stop".
 * @param {PlannedToken[]} tokens
 * @param {number} maxTokens
 * @returns {{ tokens: PlannedToken[], finishReason: "stop" | "length" }}
 */
function cut(tokens, maxTokens) {
  const finishReason = tokens.length > maxTokens && maxTokens > 0 ? "length" : "stop";
  return { tokens: tokens.slice(0, maxTokens), finishReason };
}

/** @param {string | string[]} value */
function pieces(value) {
  return Array.isArray(value) ? value : tokenize(value);
}

/** @param {string} text @param {string[]} words */
function findStop(text, words) {
  let best;
  for (const word of words) {
    const at = text.indexOf(word);
    if (at >= 0 && (best === undefined || at < best.at)) best = { at, word };
  }
  return best && { before: text.slice(0, best.at), word: best.word };
}
