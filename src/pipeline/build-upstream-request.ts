import type { MessagesRequest } from "../translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../translate/convert-anthropic-to-openai.js";
import { unenforcedForcedChoice, type ForcedToolChoice } from "../translate/tool-calls/forced-tool-call.js";
import type { OpenAIChatRequest } from "../translate/openai-types.js";
import type { TranslateOptions } from "../translate/translate-options.js";
import { upstreamBody, type UpstreamBody } from "../backends/upstream-body.js";

/** The OpenAI request a local call sends, and how it is asked for. */
export interface UpstreamRequest {
  /** As sent: a forced call's corrective retry is built on it. */
  request: OpenAIChatRequest;
  /** What is sent: its JSON text, or a large request's pieces. */
  body: UpstreamBody;
  /** Asked of the backend as a stream. */
  streamed: boolean;
  /** The client's stop sequences that mallex matches (empty ones left out). */
  stopSequences: string[];
  /** A forced tool call the server does not enforce: checked whole before the client sees it. */
  forced: ForcedToolChoice | undefined;
}

/**
 * The upstream request for a trimmed request: `client` is the request as the client sent it (its
 * tool_choice, stop_sequences and stream decide how the answer is asked for), `trimmed` what the
 * model is shown; `checkedWhole`: mallex checks the answer before the client sees it
 * (tools.retry_unknown_calls, tools.whole_file_writes), collected from the stream. Throws TranslateError for what the profile cannot take.
 */
export function buildUpstreamRequest(client: MessagesRequest, trimmed: MessagesRequest, options: TranslateOptions, checkedWhole = false): UpstreamRequest {
  // A forced call the server does not enforce is checked whole before the client sees it.
  const forced = unenforcedForcedChoice(client.tool_choice, options.serverFeatures, options.toolMode);
  // Stop sequences are matched by mallex, which stops the generation there, as it stops an answer
  // caught in a loop: only a streamed generation can be stopped, so it is streamed even when the
  // client wants the whole message, or mallex reads it whole before the client sees it.
  const stopSequences = client.stop_sequences?.filter((sequence) => sequence !== "") ?? [];
  const streamed = client.stream === true || stopSequences.length > 0 || checkedWhole || forced !== undefined;
  const request = { ...convertAnthropicToOpenAI(trimmed, options), stream: streamed };
  if (streamed) request.stream_options = { include_usage: true };
  else delete request.stream_options;
  return { request, body: upstreamBody(request), streamed, stopSequences, forced };
}
