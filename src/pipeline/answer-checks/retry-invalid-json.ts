import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicMessageParam, MessagesRequest } from "../../translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../../translate/openai-types.js";
import { EDITING_TOOLS } from "../../translate/tool-calls/conversation-blocks.js";
import { withCorrection } from "../../translate/tool-calls/forced-tool-call.js";
import { describeInvalidJson, invalidJsonCorrection, invalidJsonWritesAfter } from "../../translate/tool-calls/invalid-json-write.js";
import { wholeFileWrite, type ReadFile, type Renamed } from "../../translate/tool-calls/whole-file-write.js";
import { askAgain } from "./ask-again.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";

/** What asking again for an answer that would leave a JSON file unparsable needs (tools.retry_invalid_json). */
export interface InvalidJsonRetry {
  /** The conversation the answer follows: the files it shows are what an Edit changes. */
  messages: readonly AnthropicMessageParam[];
  /** The request as sent: the retry is it plus the answer and the correction. */
  upstreamRequest: OpenAIChatRequest;
  /** tools.whole_file_writes: an answer's code block is the Write it becomes (whole-file-write.ts), checked as that Write. */
  wholeFile?: { files: readonly ReadFile[]; renamed?: Renamed | undefined };
}

/**
 * A profile's `tools.retry_invalid_json` on one request: where the model chooses its calls, the client
 * offers a tool that changes files, and a JSON file is in play — the conversation or the user's words
 * name one. Then the answer is read whole and checked first.
 */
export function planInvalidJsonRetry(
  profile: Pick<CompiledProfile, "retryInvalidJson">,
  asked: MessagesRequest,
  offeredTools: readonly AnthropicCustomTool[],
): boolean {
  if (profile.retryInvalidJson !== true || !modelChoosesCalls(asked)) return false;
  if (!offeredTools.some((tool) => EDITING_TOOLS.has(tool.name))) return false;
  return asked.messages.some(namesJsonFile);
}

/** Whether a message's words, or a path one of its calls names, name a JSON file. */
function namesJsonFile(message: AnthropicMessageParam): boolean {
  if (typeof message.content === "string") return NAMES_JSON_FILE.test(message.content);
  return message.content.some((block) =>
    block.type === "text"
      ? NAMES_JSON_FILE.test(block.text)
      : block.type === "tool_use" && NAMES_JSON_FILE.test(String((block.input as { file_path?: unknown } | null)?.file_path)),
  );
}

/** A file's name that ends `.json`, in words or a call's path. */
const NAMES_JSON_FILE = /\.json\b/i;

/**
 * The answer; where a call of it (or the Write its code block becomes) would leave a JSON file that
 * does not parse, the model asked once more, told where and why. An answer that still does goes as it
 * is: the file is the model's, and what reads it next (a command that fails, Claude Code's own
 * check) says so again.
 */
export async function retryInvalidJson(
  first: AnthropicMessage,
  retry: InvalidJsonRetry,
  ask: (request: OpenAIChatRequest) => Promise<AnthropicMessage>,
  log: (line: string) => void,
): Promise<AnthropicMessage> {
  const { wholeFile } = retry;
  const asWritten = (answer: AnthropicMessage) =>
    wholeFile === undefined ? answer : (wholeFileWrite(answer, wholeFile.files, "", wholeFile.renamed) ?? answer);
  const invalidIn = invalidJsonWritesAfter(retry.messages);
  const found = (answer: AnthropicMessage) => invalidIn(asWritten(answer));
  const check = {
    asked: "call",
    retries: 1,
    problem: (answer: AnthropicMessage) => {
      const invalid = found(answer);
      return invalid === undefined ? undefined : describeInvalidJson(invalid);
    },
    retry: (answer: AnthropicMessage) => {
      const fromCodeBlock = !answer.content.some((block) => block.type === "tool_use");
      return withCorrection(retry.upstreamRequest, answer, invalidJsonCorrection(found(answer)!, fromCodeBlock));
    },
  };
  const checked = await askAgain(first, check, ask, log);
  if (checked.problem !== undefined) log(`passed on as it is: ${checked.problem}`);
  return checked.answer;
}
