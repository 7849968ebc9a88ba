import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicMessage, MessagesRequest } from "../../translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";
import { unknownCallProblem, unknownCallRetryRequest } from "../../translate/tool-calls/unknown-tool-call.js";
import type { TranslateOptions } from "../../translate/translate-options.js";
import { askAgain } from "./ask-again.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/** How an answer that calls a tool the request does not offer is asked for again (unknown-tool-call.ts). */
export interface UnknownCallRetry {
  /** The first request as sent: each retry is it plus the last answer and what was wrong with it. */
  upstreamRequest: OpenAIChatRequest;
  /** The client's tools the model was offered: a call to any other is asked again. */
  offeredTools: readonly AnthropicCustomTool[];
  /** The profile's `forced_call_retries`. */
  retries: number;
  /** The retry is held to a call of an offered tool (a server that enforces tool_choice); else the reminder alone asks. */
  enforced: boolean;
}

/**
 * A profile's `tools.retry_unknown_calls` on one request: where the client offers tools, leaves the
 * choice to the model (no tool_choice, or auto) and wants no JSON answer — the requests whose answer
 * may be a call or words — and the profile allows a retry. Undefined where it does not apply; then the
 * answer streams as it comes, else it is read whole and checked first.
 */
export function planUnknownCallRetry(
  profile: Pick<CompiledProfile, "retryUnknownCalls" | "forcedCallRetries">,
  asked: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
  options: Pick<TranslateOptions, "serverFeatures" | "toolMode">,
): Omit<UnknownCallRetry, "upstreamRequest"> | undefined {
  if (profile.retryUnknownCalls !== true || profile.forcedCallRetries === 0) return undefined;
  if (!modelChoosesCalls(asked) || offeredTools.length === 0) return undefined;
  // Only native tools can be held to: in xml mode the tools live in the prompt.
  const enforced = options.toolMode === "native" && options.serverFeatures?.requiredToolChoice === true;
  return { offeredTools, retries: profile.forcedCallRetries, enforced };
}

/**
 * The answer to send: `first` unless it calls a tool that is not offered and makes no call, else the
 * model asked again (`ask`: one whole generation for an upstream body) until an answer does not or
 * the retries are spent. The last answer goes through as it is: mallex asked, not the client.
 */
export async function retryUnknownCalls(
  first: AnthropicMessage,
  retry: UnknownCallRetry,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  log: (line: string) => void,
): Promise<AnthropicMessage> {
  const check = {
    asked: "unknown tool call",
    retries: retry.retries,
    problem: (answer: AnthropicMessage) => unknownCallProblem(answer, retry.offeredTools),
    retry: (answer: AnthropicMessage, problem: string) => unknownCallRetryRequest(retry.upstreamRequest, answer, problem, retry.enforced),
  };
  return (await askAgain(first, check, ask, log)).answer;
}
