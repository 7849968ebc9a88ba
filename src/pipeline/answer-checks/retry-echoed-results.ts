import type { CompiledProfile } from "../../compile/routing-table.js";
import type { CallRecord } from "../../observe/request-record.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicMessageParam, MessagesRequest } from "../../translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";
import { blocksOf, EDITING_TOOLS } from "../../translate/tool-calls/conversation-blocks.js";
import { describeEcho, echoedResult, echoedResultCorrection, withoutEchoedResults, type EchoOptions } from "../../translate/tool-calls/echoed-tool-result.js";
import { latestTask } from "../first-look/read-named-files.js";
import { withCorrection } from "../../translate/tool-calls/forced-tool-call.js";
import { askAgain } from "./ask-again.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/** What asking again for an answer that writes a tool's message into a file needs (tools.retry_echoed_results). */
export interface EchoedResultRetry {
  /** The conversation the answer follows. */
  messages: readonly AnthropicMessageParam[];
  /** The request as sent: the retry is it plus the answer and the correction. */
  upstreamRequest: OpenAIChatRequest;
}

/**
 * A profile's `tools.retry_echoed_results` on one request: where the model chooses its calls, the
 * client offers a tool that changes files, and the conversation holds a tool's result to echo. Then
 * the answer is read whole and checked first.
 */
export function planEchoedResultRetry(
  profile: Pick<CompiledProfile, "retryEchoedResults">,
  asked: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): boolean {
  if (profile.retryEchoedResults !== true || !modelChoosesCalls(asked)) return false;
  if (!offeredTools.some((tool) => EDITING_TOOLS.has(tool.name))) return false;
  return asked.messages.some((message) => blocksOf(message).some((block) => block.type === "tool_result"));
}

/**
 * The answer; where a call of it would write a tool's message into a file (echoed-tool-result.ts),
 * the model asked once more, told so; where the answer still does, that call goes as a sentence that
 * says so instead (counted as a rejected call), but an Edit that would change nothing goes as it is.
 */
export async function retryEchoedResults(
  first: AnthropicMessage,
  retry: EchoedResultRetry,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  { log, record }: { log: (line: string) => void; record: CallRecord },
): Promise<AnthropicMessage> {
  const options = echoOptions(retry.messages);
  const check = {
    asked: "call",
    retries: 1,
    problem: (answer: AnthropicMessage) => {
      const echoed = echoedResult(answer, retry.messages, options);
      return echoed === undefined ? undefined : describeEcho(echoed);
    },
    retry: (answer: AnthropicMessage) =>
      withCorrection(retry.upstreamRequest, answer, echoedResultCorrection(echoedResult(answer, retry.messages, options)!, retry.messages)),
  };
  const checked = await askAgain(first, check, ask, log);
  if (checked.problem === undefined) return checked.answer;
  const { answer, dropped, said } = withoutEchoedResults(checked.answer, retry.messages, options);
  // An Edit that changes nothing stays (withoutEchoedResults): the client refuses it in its own words.
  if (dropped === 0) return answer;
  // Each was counted as made when its answer was read: now also as rejected.
  record.happened({ type: "calls-dropped", count: dropped });
  log(`${dropped} call${dropped === 1 ? "" : "s"} not passed on: ${said}`);
  return answer;
}

/** A Write that puts a file's earlier text back is an echo, unless the user's latest words ask for a change undone. */
function echoOptions(messages: readonly AnthropicMessageParam[]): EchoOptions {
  const words = latestTask(messages.filter((message) => message.role !== "system"))?.words ?? "";
  return { pastTexts: !UNDO.test(words) };
}

const UNDO = /\b(?:revert|undo|restore|roll\s?back|put\s+(?:\w+\s+)?back)\b/i;
