import type { AnthropicCustomTool, AnthropicMessage, AnthropicToolChoice } from "../../translate/anthropic-types.js";
import type { EnforcedCall } from "./check-enforced-call.js";
import { correctiveRequest, forcedCallFailure, forcedCallProblem, type ForcedToolChoice } from "../../translate/tool-calls/forced-tool-call.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";
import { askAgain } from "./ask-again.js";

export interface ForcedCall {
  choice: ForcedToolChoice;
  /** The first request as sent: each retry is it plus the last wrong answer and what was wrong with it. */
  upstreamRequest: OpenAIChatRequest;
  offeredTools: readonly AnthropicCustomTool[];
  /** The profile's `forced_call_retries`. */
  retries: number;
  /** Named in the error, with what would enforce the call. */
  where: { profile: string; flavor: string };
  /** mallex's own ask (tools.always_call), not the client's: the last answer goes through, call or not. */
  lenient?: boolean;
}

export type ForcedCallOutcome = { ok: true; message: AnthropicMessage } | { ok: false; message: string };

/**
 * The answer to a forced tool_choice the server does not enforce: `first` when it makes the call,
 * else the model asked again (`ask`: one whole generation for an upstream body) until an answer does
 * or the retries are spent; then the sentence the client's error carries. Only the last wrong answer
 * goes back to the model, so a retry's prompt stays the first one's size plus one exchange.
 */
export async function keepForcedCall(
  first: AnthropicMessage,
  forced: ForcedCall,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  log: (line: string) => void,
): Promise<ForcedCallOutcome> {
  const check = {
    asked: "forced tool call",
    retries: forced.retries,
    problem: (answer: AnthropicMessage) => forcedCallProblem(answer, forced.choice),
    retry: (answer: AnthropicMessage, problem: string) => correctiveRequest(forced.upstreamRequest, answer, problem, forced.choice, forced.offeredTools),
  };
  const { answer, problem, attempts } = await askAgain(first, check, ask, log);
  if (problem === undefined || forced.lenient === true) return { ok: true, message: answer };
  const cut = answer.stop_reason === "max_tokens" ? `${problem}, cut at max_tokens` : problem;
  return { ok: false, message: forcedCallFailure(forced.choice, attempts, cut, forced.where) };
}

/**
 * How a forced tool_choice is kept: asked again by mallex where the server cannot enforce it
 * (`unenforced`, from unenforcedForcedChoice), else checked at the answer's end (check-enforced-call).
 */
export function forcedCallPlan(
  choice: AnthropicToolChoice | undefined,
  unenforced: ForcedToolChoice | undefined,
  retry: Omit<ForcedCall, "choice" | "where">,
  where: ForcedCall["where"],
): { forced?: ForcedCall; enforced?: EnforcedCall } {
  if (unenforced !== undefined) return { forced: { ...retry, choice: unenforced, where } };
  return (choice?.type === "any" || choice?.type === "tool") && retry.lenient !== true ? { enforced: { choice, where } } : {};
}
