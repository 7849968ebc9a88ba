import type { OpenAIChatResponse } from "../translate/openai-types.js";
import { BackendError } from "./backend-error.js";
import { describeErrorBody, type ChatCompletionResponse } from "./post-chat-completions.js";
import { BodyTooLargeError, readBodyText } from "../shared/read-body-text.js";

/**
 * The longest non-streamed answer mallex reads: far above any completion (64,000 tokens of a
 * 200 KB Write are under 2 MB of JSON), far below V8's longest string.
 */
export const MAX_COMPLETION_BYTES = 64 * 1024 * 1024;

/**
 * The body of a non-streamed completion, read whole (within the backend's silence limit: the body
 * comes from {@link postChatCompletions}) and checked: a body that is not JSON, a JSON error object
 * sent with 200, or an object without `choices` is a `malformed` {@link BackendError} that says
 * which, never an exception from deep in the translator.
 */
export async function readChatCompletion(response: ChatCompletionResponse, backend: { name: string; baseUrl?: string | undefined }, maxBytes = MAX_COMPLETION_BYTES): Promise<OpenAIChatResponse> {
  const where = backend.baseUrl === undefined ? backend.name : `${backend.name} at ${backend.baseUrl}`;
  let text: string;
  try {
    text = await readBodyText(response.body, maxBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      throw new BackendError("malformed", `${where} answered with more than ${formatMiB(maxBytes)} MiB, which is no chat completion: its answer was cut off unread`, { backend: backend.name, url: response.url });
    }
    throw response.bodyError(error);
  }
  const malformed = (what: string) => new BackendError("malformed", `${where} ${what}`, { backend: backend.name, url: response.url, body: text });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw malformed(`answered with something that is not JSON: ${preview(text)}`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw malformed(`answered with JSON that is not a completion object: ${preview(text)}`);
  const completion = parsed as OpenAIChatResponse;
  if (completion.error !== undefined && completion.error !== null) throw malformed(`reported an error instead of an answer: ${describeErrorBody(text)}`);
  if (!Array.isArray(completion.choices) || completion.choices.length === 0) throw malformed(`answered without choices (no message in it): ${preview(text)}`);
  return completion;
}

const formatMiB = (bytes: number) => (bytes / 1024 / 1024).toLocaleString("en-US", { maximumFractionDigits: 1 });

function preview(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "(an empty body)";
  return trimmed.length > 200 ? `${trimmed.slice(0, 200)}…` : trimmed;
}
