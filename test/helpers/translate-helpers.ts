/** Shared helpers for the translate-* unit tests: fixture streams, deterministic deps, and the
 * stream well-formedness assertion every stream test runs. */
import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { AnthropicCustomTool, AnthropicStreamEvent } from "../../src/translate/anthropic-types.js";
import type { TranslateDeps, TranslateOptions } from "../../src/translate/translate-options.js";
import { arrayToStream } from "../fakes/read-sse.js";

export { arrayToStream, streamToArray } from "../fakes/read-sse.js";

/** Ids that count up per prefix: msg_1, toolu_1, toolu_2… */
export function createTestDeps(): TranslateDeps {
  const counters = { msg: 0, toolu: 0 };
  return {
    generateId(prefix) {
      counters[prefix] += 1;
      return `${prefix}_${counters[prefix]}`;
    },
  };
}

export const baseOptions: TranslateOptions = Object.freeze({
  maxOutputTokens: 8192,
  thinking: "strip",
  toolMode: "native",
  vision: false,
});

/** Claude Code's real Write and Read tools (schemas as captured from 2.1.197, descriptions cut). */
export const writeTool: AnthropicCustomTool = {
  name: "Write",
  description: "Writes a file to the local filesystem.",
  input_schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      file_path: { description: "The absolute path to the file to write", type: "string" },
      content: { description: "The content to write to the file", type: "string" },
    },
    required: ["file_path", "content"],
    additionalProperties: false,
  },
};

export const readTool: AnthropicCustomTool = {
  name: "Read",
  description: "Reads a file from the local filesystem.",
  input_schema: {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    type: "object",
    properties: {
      file_path: { type: "string" },
      offset: { type: "integer" },
      limit: { type: "integer" },
    },
    required: ["file_path"],
    additionalProperties: false,
  },
};

/**
 * A recorded fixture (test/fixtures/<name>.chunks.txt) as the SSE bytes a server sends: each
 * JSON line becomes `data: …\n\n`, a line `[DONE]` becomes `data: [DONE]\n\n`, a line starting
 * with `:` is sent as an SSE comment (mlx's keepalive). The bytes are cut every `splitEvery`
 * bytes, so events and UTF-8 characters straddle reads as they do on a real socket.
 */
export function fixtureToSSEStream(name: string, splitEvery = 7): ReadableStream<Uint8Array> {
  const text = readFileSync(new URL(`../fixtures/${name}.chunks.txt`, import.meta.url), "utf8");
  const sse = text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => (line.startsWith(":") ? `${line}\n\n` : `data: ${line}\n\n`))
    .join("");
  const bytes = new TextEncoder().encode(sse);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += splitEvery) pieces.push(bytes.slice(at, at + splitEvery));
  return arrayToStream(pieces);
}

/**
 * What the Anthropic SDK's MessageStream relies on (protocol.md §2.4), checked on every stream:
 * message_start first and once; block indices 0, 1, 2… in start order; at most one block open
 * and deltas/stops only for it; signature_delta only on thinking, right before its stop; the end
 * is either message_delta + message_stop, or a single error event, with nothing open.
 */
export function expectWellFormedStream(events: readonly AnthropicStreamEvent[]): void {
  expect(events[0]?.type).toBe("message_start");
  expect(events.filter((event) => event.type === "message_start")).toHaveLength(1);
  let nextIndex = 0;
  let open: { index: number; type: string } | undefined;
  let ended = false;
  for (const [position, event] of events.entries()) {
    expect(ended, `event ${position} (${event.type}) after the end`).toBe(false);
    switch (event.type) {
      case "content_block_start":
        expect(open, `block ${event.index} starts while ${open?.index} is open`).toBeUndefined();
        expect(event.index).toBe(nextIndex);
        nextIndex += 1;
        open = { index: event.index, type: event.content_block.type };
        break;
      case "content_block_delta":
        expect(open?.index, `delta for block ${event.index}`).toBe(event.index);
        if (event.delta.type === "signature_delta") {
          expect(open?.type).toBe("thinking");
          expect(events[position + 1]).toEqual({ type: "content_block_stop", index: event.index });
        }
        if (open?.type === "thinking" && event.delta.type === "thinking_delta") break;
        if (open?.type === "text") expect(event.delta.type).toBe("text_delta");
        if (open?.type === "tool_use") expect(event.delta.type).toBe("input_json_delta");
        break;
      case "content_block_stop":
        expect(open?.index).toBe(event.index);
        if (open?.type === "thinking") {
          expect(events[position - 1]).toMatchObject({ delta: { type: "signature_delta" } });
        }
        open = undefined;
        break;
      case "message_delta":
        expect(open).toBeUndefined();
        expect(typeof event.usage.output_tokens).toBe("number");
        expect(events[position + 1]?.type).toBe("message_stop");
        break;
      case "message_stop":
        expect(events[position - 1]?.type).toBe("message_delta");
        ended = true;
        break;
      case "error":
        expect(open).toBeUndefined();
        ended = true;
        break;
      case "message_start":
      case "ping":
        break;
      default:
        event satisfies never;
    }
  }
  expect(ended, "the stream ends with message_stop or error").toBe(true);
}

/** The stream events in a compact form that reads well in inline snapshots. */
export function summarize(events: readonly AnthropicStreamEvent[]): string[] {
  return events.map((event) => {
    switch (event.type) {
      case "message_start":
        return `message_start ${event.message.id} ${event.message.model} in=${event.message.usage.input_tokens}`;
      case "content_block_start": {
        const block = event.content_block;
        const detail = block.type === "tool_use" ? ` ${block.id} ${block.name}` : "";
        return `start ${event.index} ${block.type}${detail}`;
      }
      case "content_block_delta": {
        const delta = event.delta;
        const value =
          delta.type === "text_delta"
            ? delta.text
            : delta.type === "thinking_delta"
              ? delta.thinking
              : delta.type === "signature_delta"
                ? delta.signature
                : delta.partial_json;
        return `delta ${event.index} ${delta.type} ${JSON.stringify(value)}`;
      }
      case "content_block_stop":
        return `stop ${event.index}`;
      case "message_delta":
        return `message_delta ${event.delta.stop_reason} ${JSON.stringify(event.usage)}`;
      case "error":
        return `error ${event.error.type}: ${event.error.message}`;
      default:
        return event.type;
    }
  });
}
