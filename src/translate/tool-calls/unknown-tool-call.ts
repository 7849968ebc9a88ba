/**
 * A profile's `tools.retry_unknown_calls`: an answer that makes no call but writes one to a tool the
 * request does not offer (find-unknown-calls.ts) tried to act and could not, so it is asked for again,
 * saying which tools there are. The model meant to act, so where the server enforces tool_choice the
 * retry is held to a call of one of the offered tools; elsewhere the reminder alone asks. (With the
 * Reply tool offered beside them, as tools.always_call does, the real 1.5B coder took Reply in 3 of 3
 * retries on the eval suite: the turn ended in words again.) An answer in words, or with code that is
 * not a call, is the model's answer and is never asked again.
 */
import type { AnthropicCustomTool, AnthropicMessage } from "../anthropic-types.js";
import type { OpenAIChatRequest } from "../openai-types.js";
import { findUnknownCalls } from "./find-unknown-calls.js";
import { withCorrection } from "./forced-tool-call.js";

/**
 * What is wrong with an answer, e.g. "to_roman is not a tool you can call; the tools are: Bash, Edit",
 * or undefined when it may go to the client: it made a call, wrote none to an unknown tool, or was
 * cut (at max_tokens or by a full context: the client is told, and a retry would be cut again).
 */
export function unknownCallProblem(answer: AnthropicMessage, tools: readonly AnthropicCustomTool[]): string | undefined {
  if (answer.stop_reason === "max_tokens" || answer.stop_reason === "model_context_window_exceeded") return undefined;
  if (answer.content.some((block) => block.type === "tool_use")) return undefined;
  const unknown = findUnknownCalls(answer.content, tools);
  if (unknown.length === 0) return undefined;
  const not = unknown.length === 1 ? "is not a tool" : "are not tools";
  return `${unknown.join(", ")} ${not} you can call; the tools are: ${tools.map((tool) => tool.name).join(", ")}`;
}

/**
 * The first request again with the answer and what was wrong with it; `enforced`: held to a call of
 * one of its tools (tool_choice required, which the server enforces), its tools as they were, so that
 * the prompt up to the answer is the first request's.
 */
export function unknownCallRetryRequest(request: OpenAIChatRequest, answer: AnthropicMessage, problem: string, enforced: boolean): OpenAIChatRequest {
  const ask = enforced ? "Call one of these to go on with the task." : "Call one of these to go on with the task, or answer in words if it needs no tool.";
  const retry = withCorrection(request, answer, `Your previous reply was not accepted: ${problem}. ${ask}`);
  return enforced ? { ...retry, tool_choice: "required" } : retry;
}
