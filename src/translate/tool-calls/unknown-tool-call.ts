/**
 * A profile's `tools.retry_unknown_calls`: an answer that makes no call but writes one to a tool the
 * request does not offer (find-unknown-calls.ts) tried to act and could not, so it is asked for again,
 * saying which tools there are. The model may still answer in words — the choice was left to it, and
 * only the call that cannot run is asked again — so where the server enforces tool_choice the retry is
 * held to a call with the Reply tool beside the others (reply-tool.ts), as tools.always_call asks;
 * elsewhere the reminder alone asks. An answer in words, or with code that is not a call, is the
 * model's answer and is never asked again.
 */
import type { AnthropicCustomTool, AnthropicMessage } from "../anthropic-types.js";
import { convertTool } from "../convert-anthropic-to-openai.js";
import type { OpenAIChatRequest } from "../openai-types.js";
import { findUnknownCalls } from "./find-unknown-calls.js";
import { withCorrection } from "./forced-tool-call.js";
import { REPLY_TOOL_NAME, replyTool } from "./reply-tool.js";

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
 * The first request again with the answer and what was wrong with it; `reply`: held to a call
 * (tool_choice required, which the server enforces) with the Reply tool offered last, so that the
 * prompt up to the client's last tool is the first request's.
 */
export function unknownCallRetryRequest(request: OpenAIChatRequest, answer: AnthropicMessage, problem: string, reply: boolean): OpenAIChatRequest {
  const words = reply ? `or call ${REPLY_TOOL_NAME} to answer in words` : "or answer in words if it needs no tool";
  const retry = withCorrection(request, answer, `Your previous reply was not accepted: ${problem}. Call one of these to go on with the task, ${words}.`);
  if (!reply) return retry;
  return { ...retry, tools: [...(request.tools ?? []), convertTool(replyTool())], tool_choice: "required" };
}
