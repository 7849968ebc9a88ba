/**
 * Wire-level checks for suites that drive a real `mallex proxy` process: a bounded node:http request
 * that sends any bytes and headers it is given, the shape checks every mallex answer must pass (the
 * Anthropic error envelope, a message, an event stream).
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { parseSSE } from "../fakes/read-sse.js";

export interface WireReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface WireRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** The whole exchange must be over within this (default 10 s); past it the promise rejects. */
  timeoutMs?: number;
  agent?: Agent;
}

/** One request over node:http (any Host, any bytes), rejected when it does not finish within `timeoutMs`. */
export function wireRequest(baseUrl: string, init: WireRequest): Promise<WireReply> {
  const { port } = new URL(baseUrl);
  const timeoutMs = init.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        method: init.method ?? "POST",
        path: init.path,
        headers: { "content-type": "application/json", ...init.headers },
        ...(init.agent ? { agent: init.agent } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") });
        });
        res.on("error", (error) => {
          clearTimeout(timer);
          reject(error);
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no complete answer to ${init.method ?? "POST"} ${init.path} within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.end(init.body);
  });
}

/** A V8 / Node stack frame (`    at fn (file.js:1:2)`, `node:internal/…`) anywhere in a text. */
export const STACK_TRACE = /\n\s+at .+:\d+:\d+|node:internal\/|\.(?:m?js|ts):\d+:\d+/;

/** What is wrong with a reply that should be an Anthropic error (undefined: nothing). */
export function errorEnvelopeProblem(reply: WireReply): string | undefined {
  const requestId = reply.headers["request-id"];
  if (typeof requestId !== "string" || !/^req_\w+$/.test(requestId)) return `no request-id header (${String(requestId)})`;
  let body: { type?: unknown; error?: { type?: unknown; message?: unknown }; request_id?: unknown };
  try {
    body = JSON.parse(reply.body) as typeof body;
  } catch {
    return `the body is not JSON: ${reply.body.slice(0, 200)}`;
  }
  if (body.type !== "error") return `type is ${String(body.type)}, not "error"`;
  if (typeof body.error?.type !== "string" || !/^[a-z_]+_error$|^request_too_large$/.test(body.error.type)) return `error.type is ${String(body.error?.type)}`;
  if (typeof body.error.message !== "string" || body.error.message.trim() === "") return "error.message is missing or empty";
  if (body.request_id !== requestId) return `request_id ${String(body.request_id)} is not the header's ${requestId}`;
  if (STACK_TRACE.test(reply.body)) return `a stack trace in the body: ${reply.body.slice(0, 300)}`;
  return undefined;
}

/** What is wrong with a non-streamed Messages API answer (undefined: nothing). */
export function messageProblem(value: unknown): string | undefined {
  const message = value as Record<string, unknown> | null;
  if (message === null || typeof message !== "object") return "not an object";
  if (message.type !== "message" || message.role !== "assistant") return `type/role ${String(message.type)}/${String(message.role)}`;
  if (typeof message.id !== "string" || !message.id.startsWith("msg_")) return `id ${String(message.id)}`;
  if (!Array.isArray(message.content)) return "content is not an array";
  for (const block of message.content as Array<Record<string, unknown>>) {
    if (block.type === "text" && typeof block.text !== "string") return "a text block without text";
    if (block.type === "tool_use" && (typeof block.id !== "string" || typeof block.name !== "string" || typeof block.input !== "object"))
      return "a malformed tool_use block";
    if (!["text", "tool_use", "thinking", "redacted_thinking"].includes(String(block.type))) return `a block of type ${String(block.type)}`;
  }
  const usage = message.usage as Record<string, unknown> | undefined;
  if (typeof usage?.input_tokens !== "number" || typeof usage.output_tokens !== "number") return "usage without token counts";
  if (!["end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"].includes(String(message.stop_reason)))
    return `stop_reason ${String(message.stop_reason)}`;
  return undefined;
}

/** The data of each SSE event of a Messages stream, parsed. */
export function streamEventsOf(body: string): Array<{ type: string; [key: string]: unknown }> {
  return parseSSE(body)
    .filter((event) => event.comment === undefined)
    .map((event) => JSON.parse(event.data) as { type: string });
}

/** What is wrong with a streamed Messages API answer (undefined: nothing): message_start first, message_stop last, blocks opened before use and closed. */
export function streamProblem(body: string): string | undefined {
  let events;
  try {
    events = streamEventsOf(body);
  } catch {
    return `an event that is not JSON: ${body.slice(0, 300)}`;
  }
  if (events[0]?.type !== "message_start") return `first event ${events[0]?.type}`;
  if (events.at(-1)?.type !== "message_stop") return `last event ${events.at(-1)?.type}: ${JSON.stringify(events.at(-1)).slice(0, 300)}`;
  const open = new Set<number>();
  for (const event of events) {
    const index = event.index as number;
    if (event.type === "content_block_start") open.add(index);
    else if (event.type === "content_block_delta" && !open.has(index)) return `a delta for block ${index}, which is not open`;
    else if (event.type === "content_block_stop" && !open.delete(index)) return `a stop for block ${index}, which is not open`;
  }
  if (open.size > 0) return `blocks left open: ${[...open].join(", ")}`;
  return undefined;
}
