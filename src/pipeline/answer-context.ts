import type { CompiledProfile } from "../compile/routing-table.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import type { AnthropicCustomTool, MessagesRequest } from "../translate/anthropic-types.js";
import type { AnthropicResponseContext } from "../translate/convert-openai-response.js";
import type { ThinkingDecision } from "../translate/decide-thinking.js";
import type { OpenAIUsage } from "../translate/openai-types.js";
import type { TranslateOptions } from "../translate/translate-options.js";
import type { UpstreamRequest } from "./build-upstream-request.js";
import type { CallRecord } from "../observe/request-record.js";
import type { ToolCallOutcome } from "../translate/assemble-content-blocks.js";
import type { ServerContext } from "./server-context.js";
import { asksToSeeACall } from "./answer-checks/asks-to-see-a-call.js";
import { inConfigFile } from "../shared/in-config-file.js";
import type { Repetition } from "../translate/model-text/watch-repeats.js";

/** What reading a local call's answer needs to know of its request, besides the answer. */
export interface AnswerContextInput {
  /** The request as the client sent it. */
  request: MessagesRequest;
  profile: CompiledProfile;
  options: TranslateOptions;
  thinking: ThinkingDecision;
  /** The tools the model was offered, as the client declared them: calls are checked against these (the model saw them trimmed). */
  offeredTools: readonly AnthropicCustomTool[];
  upstream: UpstreamRequest;
  /** The call's record: a cut at the profile's cap, a full context, a loop stopped and each tool call are told to it. */
  record: CallRecord;
  /** The small context's cap on this answer (answerCapFor), when it is below the profile's max_output_tokens. */
  contextCap?: number | undefined;
  /** The answer is Claude Code's compaction summary: its cap keeps the next request under Claude Code's compaction point (profileForAnswer). */
  summary?: boolean | undefined;
}

/** The context the answer is translated in, whole or streamed. */
export function answerContextFor(ctx: Pick<ServerContext, "deps" | "schemaCache" | "table">, input: AnswerContextInput): AnthropicResponseContext {
  const { request, profile, record } = input;
  const window = profile.contextWindow;
  const contextCap = input.contextCap;
  const cap = contextCap ?? profile.maxOutputTokens;
  const settingsIn = inConfigFile(ctx.table.configFile);
  const capNote =
    contextCap === undefined
      ? `cut at ${cap} tokens by max_output_tokens of profile ${profile.name} ${settingsIn}`
      : input.summary === true
        ? `cut at ${cap} tokens to keep Claude Code's compaction summary under its compaction point in the ${window}-token context`
        : `cut at ${cap} tokens to leave room for the next request in the ${window}-token context`;
  const byContext = contextCap === undefined ? {} : { outputCapContext: window };
  const onOutputCap = () => record.happened({ type: "capped", cap, note: capNote });
  const noted = (note: string) => record.happened({ type: "noted", note });
  const outputCap = request.max_tokens > cap ? { outputCap: cap, ...byContext, settingsIn, onOutputCap } : {};
  const responseOptions = { ...input.options, thinking: input.thinking.show ? "expose" : "strip" } as const;
  // A `length` finish short of max_tokens, or with the context filled, is the context's doing: said so, not blamed on max_tokens.
  const onContextFull = (usage: OpenAIUsage | null | undefined) => {
    const counts =
      usage?.prompt_tokens !== undefined && usage.completion_tokens !== undefined
        ? ` (${usage.prompt_tokens} + ${usage.completion_tokens} tokens${window === undefined ? "" : ` of ${window}`})`
        : "";
    noted(`answer stopped: the model server's context is full${counts}`);
  };
  const limits = { contextWindow: window, maxTokens: input.upstream.request.max_tokens, onContextFull, prewarm: request.max_tokens === 0 };
  // The answer names the model asked for, as a name: no real one is longer than the cap.
  return {
    model: clipText(request.model, RETENTION_LIMITS.modelChars),
    tools: input.offeredTools,
    toolChoice: request.tool_choice,
    options: responseOptions,
    deps: ctx.deps,
    schemaCache: ctx.schemaCache,
    stopSequences: input.upstream.stopSequences,
    // Asked to be shown a call, the model's unmarked call is the example (asks-to-see-a-call.ts).
    ...(asksToSeeACall(request) ? { ownMarkupOnly: true } : {}),
    onToolCall: (call: ToolCallOutcome) => record.happened({ type: "tool-call", call }),
    ...(profile.stopRepeats === undefined
      ? {}
      : {
          stopRepeats: profile.stopRepeats,
          onRepeats: (loop: Repetition) => noted(describeRepeats(loop, profile.name, settingsIn)),
          onRepeatedCall: (tool: string) =>
            noted(`answer stopped by mallex: it wrote its ${tool} call again (stop_repeats of profile ${profile.name} ${settingsIn})`),
        }),
    onOverrun: () => noted(`answer stopped by mallex: the model server went far past max_tokens ${input.upstream.request.max_tokens}`),
    ...outputCap,
    ...limits,
  };
}

/** The log line's note for an answer stopped in a loop: what repeated, and the setting that stopped it. */
export function describeRepeats(loop: Repetition, profileName: string, settingsIn: string): string {
  return `answer stopped by mallex: its last ${loop.chars} characters were one ${loop.period}-character piece written ${loop.repeats} times (stop_repeats of profile ${profileName} ${settingsIn})`;
}
