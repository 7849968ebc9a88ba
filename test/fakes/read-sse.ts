/**
 * Stream helpers for tests: parse a Server-Sent Events body into events (comments kept, in
 * order, so tests can see `: keepalive` lines), and convert between arrays and web streams.
 */

/** One parsed SSE event, or a comment line (`comment` set, `data` empty). */
export interface SSEEvent {
  event?: string;
  data: string;
  id?: string;
  /** The text after `:` of a comment line, without the leading space. */
  comment?: string;
}

/**
 * Parses a complete SSE text per the WHATWG rules: events end at a blank line, `data` lines
 * are joined with "\n", one leading space after the colon is dropped, `id` is the last event
 * id seen so far, and a trailing event without its blank line is discarded (a truncated stream
 * shows as a missing event).
 */
export function parseSSE(text: string): SSEEvent[] {
  const events: SSEEvent[] = [];
  let data: string[] = [];
  let event: string | undefined;
  let id: string | undefined;
  const lines = text.split(/\r\n|\r|\n/);
  // The last element is whatever followed the final line break: an incomplete line.
  lines.pop();
  for (const line of lines) {
    if (line === "") {
      if (data.length > 0) {
        events.push({
          ...(event === undefined ? {} : { event }),
          data: data.join("\n"),
          ...(id === undefined ? {} : { id }),
        });
      }
      data = [];
      event = undefined;
      continue;
    }
    if (line.startsWith(":")) {
      events.push({ data: "", comment: line.slice(1).replace(/^ /, "") });
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "data") data.push(value);
    else if (field === "event") event = value;
    else if (field === "id") id = value;
  }
  return events;
}

/** Reads a whole SSE body (a fetch `Response` or a byte/text stream) and parses it. */
export async function readSSE(input: Response | ReadableStream<Uint8Array> | ReadableStream<string>): Promise<SSEEvent[]> {
  const stream = input instanceof Response ? input.body : input;
  if (stream === null) return [];
  const decoder = new TextDecoder();
  let text = "";
  for (const chunk of await streamToArray<Uint8Array | string>(stream as ReadableStream<Uint8Array | string>)) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  return parseSSE(text + decoder.decode());
}

/** Collects every chunk of a stream. */
export async function streamToArray<T>(stream: ReadableStream<T>): Promise<T[]> {
  const items: T[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return items;
    items.push(value);
  }
}

/**
 * A stream that yields the given items, then closes. One item a pull: Node's web streams take their
 * queue's head with Array.shift, so enqueuing all items at the start costs time quadratic in their
 * number (131,072 items: 32 s; one a pull: 0.3 s).
 */
export function arrayToStream<T>(items: readonly T[]): ReadableStream<T> {
  let next = 0;
  return new ReadableStream<T>({
    pull(controller) {
      if (next < items.length) controller.enqueue(items[next++]!);
      else controller.close();
    },
  });
}

/** The JSON payloads of the `data:` events, `[DONE]` excluded. */
export function dataPayloads(events: readonly SSEEvent[]): unknown[] {
  return events.filter((e) => e.comment === undefined && e.data !== "[DONE]").map((e) => JSON.parse(e.data) as unknown);
}
