import type { OpenAIChatResponse } from "../translate/openai-types.js";
import { BackendError } from "./backend-error.js";
import { describeErrorBody, type ChatCompletionResponse } from "./post-chat-completions.js";
import { answerJsonTooBusy, MAX_ANSWER_JSON_VALUES } from "../shared/json-text.js";
import { nextTurn } from "../shared/next-turn.js";
import { BodyTooLargeError, readBodyText } from "../shared/read-body-text.js";
import { overrunJsonSize } from "../translate/max-tokens-overrun.js";

/**
 * The longest non-streamed answer mallex reads, whatever its max_tokens: far above any completion
 * (64,000 tokens of a 200 KB Write are under 2 MB of JSON), far below V8's longest string.
 */
export const MAX_COMPLETION_BYTES = 64 * 1024 * 1024;

/**
 * The longest answer to a request of `maxTokens` mallex reads: what the overrun bound lets it hold
 * ({@link overrunJsonSize}: 2.5 MiB for 4,096 tokens), at most {@link MAX_COMPLETION_BYTES}. Read
 * whole, a 63 MB answer held the proxy's one thread ~450 ms (its UTF-8 decode and JSON.parse) and
 * added 300 MB to its RSS.
 */
export function completionBytesFor(maxTokens: number | undefined): number {
  return maxTokens === undefined ? MAX_COMPLETION_BYTES : Math.min(MAX_COMPLETION_BYTES, overrunJsonSize(maxTokens));
}

/**
 * The body of a non-streamed completion, read whole (within the backend's silence limit: the body
 * comes from {@link postChatCompletions}) and checked: a body that is not JSON, a JSON error object
 * sent with 200, or an object without `choices` is a `malformed` {@link BackendError} that says
 * which, never an exception from deep in the translator.
 */
export async function readChatCompletion(
  response: ChatCompletionResponse,
  backend: { name: string; baseUrl?: string | undefined },
  maxTokens: number | undefined,
): Promise<OpenAIChatResponse> {
  const where = backend.baseUrl === undefined ? backend.name : `${backend.name} at ${backend.baseUrl}`;
  const maxBytes = completionBytesFor(maxTokens);
  let text: string;
  try {
    text = await readBodyText(response.body, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      const what =
        maxBytes < MAX_COMPLETION_BYTES ? `more than an answer of max_tokens ${maxTokens!.toLocaleString("en-US")} can be` : "which is no chat completion";
      throw new BackendError("malformed", `${where} answered with more than ${formatMiB(maxBytes)} MiB, ${what}: its answer was cut off unread`, {
        backend: backend.name,
        url: response.url,
      });
    }
    throw response.bodyError(error);
  }
  // A large answer's parse, and the caller's conversion after it, each get a turn of their own: other requests (/health) go between.
  const large = text.length >= YIELD_FROM_CHARS;
  if (large) await nextTurn();
  const malformed = (what: string) => new BackendError("malformed", `${where} ${what}`, { backend: backend.name, url: response.url, body: text });
  // Counted before JSON.parse builds them: a few megabytes of empty objects would hold the proxy for seconds.
  if (answerJsonTooBusy(text))
    throw malformed(`answered with more than ${MAX_ANSWER_JSON_VALUES.toLocaleString("en-US")} JSON values, which is no chat completion: ${preview(text)}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed(`answered with something that is not JSON: ${preview(text)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed))
    throw malformed(`answered with JSON that is not a completion object: ${preview(text)}`);
  const completion = parsed as OpenAIChatResponse;
  if (completion.error !== undefined && completion.error !== null) throw malformed(`reported an error instead of an answer: ${describeErrorBody(text)}`);
  if (!Array.isArray(completion.choices) || completion.choices.length === 0) throw malformed(`answered without choices (no message in it): ${preview(text)}`);
  if (large) await nextTurn();
  return completion;
}

/** From this many characters an answer's JSON.parse takes milliseconds (~3 ms a MiB of plain text on a 2-vCPU machine, more for the conversion after it). */
const YIELD_FROM_CHARS = 1024 * 1024;

const formatMiB = (bytes: number) => (bytes / 1024 / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 });

function preview(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "(an empty body)";
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}
