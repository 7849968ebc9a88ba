import type { CompletionEvent, CompletionUsage, FinishReason } from "./generate-completion.js";

/**
 * The engine's answer in OpenAI Chat Completions' shapes, as llama-server writes them: one chunk per
 * piece, the finish reason in its own chunk, then the usage chunk (`choices: []`) when asked for.
 * @see src/translate/openai-types.ts, the chunk shapes mallex reads back; the streaming chunk object of
 *   OpenAI's Chat Completions API reference.
 */
export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

export function usageObject(usage: CompletionUsage) {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens },
  };
}

/** A stateful formatter: tool-call indices count up per response. */
export function createChunkFormatter(identity: ResponseIdentity, options: { includeUsage: boolean }) {
  const base = { id: identity.id, object: "chat.completion.chunk", created: identity.created, model: identity.model };
  const chunk = (delta: Record<string, unknown>, finishReason: FinishReason | null = null) => ({
    ...base,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  let toolIndex = 0;
  return {
    start: () => chunk({ role: "assistant", content: "" }),
    /** The chunks one event becomes (the last event gives two or three). */
    format(event: CompletionEvent): object[] {
      switch (event.type) {
        case "text":
          return [chunk({ content: event.text })];
        case "reasoning":
          return [chunk({ reasoning_content: event.text })];
        case "tool_call":
          return [chunk({ tool_calls: [{ index: toolIndex++, id: event.id, type: "function", function: { name: event.name, arguments: event.arguments } }] })];
        case "prefill":
          // Not a chunk: the stream says it as a comment (formatPrefillComment).
          return [];
        case "done":
          return [chunk({}, event.finishReason), ...(options.includeUsage ? [{ ...base, choices: [], usage: usageObject(event.usage) }] : [])];
      }
    },
  };
}

/** A prefill's progress as an SSE comment, as mlx-lm's `: keepalive 2048/18231`: clients skip it, a watcher sees life. */
export const formatPrefillComment = (event: Extract<CompletionEvent, { type: "prefill" }>) => `: prefill ${event.evaluated}/${event.total}\n\n`;

/** Collects the events of a non-streamed request into one `chat.completion` object. */
export function createResponseCollector(identity: ResponseIdentity) {
  let content = "";
  let reasoning = "";
  const toolCalls: object[] = [];
  let done: Extract<CompletionEvent, { type: "done" }> | undefined;
  return {
    add(event: CompletionEvent) {
      if (event.type === "text") content += event.text;
      else if (event.type === "reasoning") reasoning += event.text;
      else if (event.type === "tool_call") toolCalls.push({ id: event.id, type: "function", function: { name: event.name, arguments: event.arguments } });
      else if (event.type === "done") done = event;
    },
    result() {
      if (!done) throw new Error("the generation ended without a finish reason");
      const message = {
        role: "assistant",
        content: content === "" ? null : content,
        ...(reasoning !== "" ? { reasoning_content: reasoning } : {}),
        ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
      };
      return {
        id: identity.id,
        object: "chat.completion",
        created: identity.created,
        model: identity.model,
        choices: [{ index: 0, message, finish_reason: done.finishReason }],
        usage: usageObject(done.usage),
      };
    },
  };
}
