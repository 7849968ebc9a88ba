import type { CompiledProfile } from "../../compile/routing-table.js";
import type { AnthropicCustomTool, MessagesRequest } from "../../translate/anthropic-types.js";
import type { TranslateOptions } from "../../translate/translate-options.js";
import type { ReadFile } from "../../translate/tool-calls/whole-file-write.js";
import {
  describeAlone,
  fileAskedFor,
  plainReadsFor,
  questionAlone,
  questionAsk,
  wholeFileAsk,
  withAsk,
  withQuestionAlone,
  type AskedFile,
} from "./ask-whole-file.js";
import { modelChoosesCalls } from "./model-chooses-calls.js";
import { requireAction } from "./require-action.js";
import { planEchoedResultRetry } from "./retry-echoed-results.js";
import { planInvalidJsonRetry } from "./retry-invalid-json.js";
import { planUnknownCallRetry, type UnknownCallRetry } from "./retry-unknown-calls.js";
import { planWholeFileWrite } from "./whole-file-writes.js";

/** What a profile's tool levers make of one call before it is sent (planAnswerChecks). */
export interface AnswerChecks {
  /** The request as the answer's checks read it: the client's, with a question sent alone or a forced call in it. */
  asked: MessagesRequest;
  /** The trimmed request to send, with the ask after it and its Reads plain where whole_file_writes says so. */
  sent: MessagesRequest;
  offeredTools: readonly AnthropicCustomTool[];
  /** tools.always_call: the Reply tool is offered and the call asked for as a forced one, leniently. */
  action: boolean;
  /** A question sent alone, without tools: no session's prefix. */
  alone: boolean;
  /** Some check reads the answer whole before the client sees it. */
  readWhole: boolean;
  unknownCalls?: Omit<UnknownCallRetry, "upstreamRequest">;
  /** Files an answer rewritten in a code block may become a Write of: only the one asked for, where one was. */
  wholeFile?: readonly ReadFile[];
  /** The file asked for whole, and every file read (an answer that is one of them as it was is sampled again). */
  fileAsked?: { asked: AskedFile; read: readonly ReadFile[] };
  echoed: boolean;
  /** tools.retry_invalid_json: an answer that would leave a JSON file unparsable is asked again. */
  invalidJson: boolean;
  /** The call's notes for the log line: what was asked, and a question sent alone. */
  notes: string[];
}

/**
 * The profile's tool levers on one call (tools.answer_from_files, always_call, retry_unknown_calls,
 * whole_file_writes, restate_questions, retry_echoed_results, retry_invalid_json): the request shown to
 * the model, what is asked after the conversation, and which checks read its answer. Pure.
 */
export function planAnswerChecks(
  profile: CompiledProfile,
  request: MessagesRequest,
  trimmed: { request: MessagesRequest; offeredTools: readonly AnthropicCustomTool[] },
  options: Pick<TranslateOptions, "serverFeatures" | "toolMode">,
): AnswerChecks {
  // tools.answer_from_files: a question after its Reads, or a report of the commands run, goes to the model alone, with what was looked at and no tools.
  const alone = profile.answerFromFiles === true && modelChoosesCalls(request) ? questionAlone(trimmed.request) : undefined;
  const shown =
    alone === undefined
      ? { client: request, sent: trimmed.request, tools: trimmed.offeredTools }
      : { client: withQuestionAlone(request, alone), sent: withQuestionAlone(trimmed.request, alone), tools: [] };
  // tools.always_call: a call every turn, words through the Reply tool; asked for as a forced tool_choice is, but never refused.
  const action = requireAction(profile, shown.client, shown.sent, shown.tools);
  const asked = action?.asked ?? shown.client;
  // tools.retry_unknown_calls: the answer is read whole and asked again when it calls a tool that is not offered.
  const unknownCalls = planUnknownCallRetry(profile, asked, shown.tools, options);
  // tools.whole_file_writes: the answer is read whole, and a file read, rewritten in a code block, becomes its Write…
  const wholeFile = planWholeFileWrite(profile, asked, shown.tools);
  // …and, after a file's Read for a task that asks for a change, the model is asked for the whole file changed.
  const fileAsked = wholeFile === undefined ? undefined : fileAskedFor(asked, profile);
  // tools.restate_questions: after the Reads that follow a question, the question again.
  const question = fileAsked === undefined && profile.restateQuestions === true && modelChoosesCalls(asked) ? questionAsk(asked) : undefined;
  const ask = fileAsked === undefined ? question : wholeFileAsk(fileAsked);
  // tools.retry_echoed_results: the answer is read whole and asked again when it would write a tool's message into a file.
  const echoed = planEchoedResultRetry(profile, asked, shown.tools);
  // tools.retry_invalid_json: …and when it would leave a JSON file that does not parse.
  const invalidJson = planInvalidJsonRetry(profile, asked, shown.tools);
  const sent = plainReadsFor(profile, action?.sent ?? shown.sent);
  const askedBy =
    question !== undefined
      ? "tools.restate_questions"
      : fileAsked?.failed === undefined
        ? "tools.whole_file_writes"
        : "tools.whole_file_writes, tools.check_after_edits";
  return {
    asked,
    sent: ask === undefined ? sent : withAsk(sent, ask),
    offeredTools: action?.offeredTools ?? shown.tools,
    action: action !== undefined,
    alone: alone !== undefined,
    readWhole: unknownCalls !== undefined || wholeFile !== undefined || echoed || invalidJson,
    ...(unknownCalls === undefined ? {} : { unknownCalls }),
    // Asked for one file, the answer may become a Write of that file only (not of the test read beside it).
    ...(wholeFile === undefined ? {} : { wholeFile: fileAsked === undefined ? wholeFile : [fileAsked.file] }),
    ...(fileAsked === undefined || wholeFile === undefined ? {} : { fileAsked: { asked: fileAsked, read: wholeFile } }),
    echoed,
    invalidJson,
    notes: [
      ...(ask === undefined ? [] : [`asked "${fileAsked === undefined ? ask : wholeFileAsk(fileAsked, true)}" (${askedBy})`]),
      ...(alone === undefined ? [] : [describeAlone(alone)]),
    ],
  };
}
