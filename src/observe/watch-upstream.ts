import { pipeline, Transform, type Readable } from "node:stream";
import type { UpstreamClient } from "../backends/upstream-client.js";
import type { UpstreamResponse } from "../backends/send-upstream-post.js";
import { clip, DEBUG_TEXT_MAX, describeUpstreamRequest, type DebugLevel } from "./debug-lines.js";
import { bodyChars, bodyStart, clipBody } from "../backends/upstream-body.js";
import type { Redactor } from "./redact-secrets.js";
import { RETENTION_LIMITS } from "../shared/retention-limits.js";

/** One call a request made to its backend, as sent (headers and body unredacted: redact before showing). */
export interface UpstreamCall {
  url: string;
  headers: Readonly<Record<string, string>>;
  body: string;
  /** The answer's status; absent when none came (the call failed first). */
  status?: number;
  /** Why the call failed before its headers. */
  error?: string;
  /** From the call to its headers. */
  headersMs?: number;
}

export interface UpstreamWatchOptions {
  level: DebugLevel;
  /** Writes one debug line (used from level 1). */
  debug: (line: string) => void;
  redact: Redactor;
  now(): number;
}

export interface WatchedUpstream {
  /** The client the request's backend calls go through. */
  client: UpstreamClient;
  /** Every call made so far, in order (a forced tool call asked again makes two). */
  calls: UpstreamCall[];
  /** The beginning and end of a forwarded Anthropic answer's text (its stop reason, usage or error); absent before one arrived. */
  forwarded(): string | undefined;
}

/** Text kept of a forwarded answer: its first and its last characters, enough for message_start and message_delta. */
const FORWARDED_HEAD = 4096;
const FORWARDED_TAIL = 8192;

/**
 * An upstream client for one request that records what it sends, for the saved last request, and
 * from MALLEX_DEBUG=1 says where and how it went: level 1 the URL, model, status and timings, level
 * 2 the request body and the answer as it arrives. A local answer's body is left as it is below
 * level 2 (no stage in its way); a forwarded Anthropic answer passes a tap that keeps its ends.
 */
export function watchUpstream(client: UpstreamClient, options: UpstreamWatchOptions): WatchedUpstream {
  const { level, debug, redact, now } = options;
  const calls: UpstreamCall[] = [];
  let forwarded: ForwardedText | undefined;
  const post: UpstreamClient["post"] = (url, init) => {
    // Its start only: the whole body is the request's to send, not the record's to keep.
    const call: UpstreamCall = { url, headers: init.headers, body: clipBody(init.body, RETENTION_LIMITS.bodyChars) };
    calls.push(call);
    if (level >= 1) debug(redact.text(describeUpstreamRequest(url, init.body)));
    // A secret cut at the end of the start could escape redaction: redacted with room past what is shown.
    if (level >= 2) debug(`upstream request body: ${clip(redact.text(bodyStart(init.body, 2 * DEBUG_TEXT_MAX)), DEBUG_TEXT_MAX, bodyChars(init.body))}`);
    const started = now();
    // Anthropic's API is the one called with anthropic-version (forward-to-anthropic.ts).
    const anthropic = Object.keys(init.headers).some((name) => name.toLowerCase() === "anthropic-version");
    let sent: Promise<UpstreamResponse>;
    try {
      sent = client.post(url, init);
    } catch (error) {
      sent = Promise.reject(error as Error);
    }
    // Awaited apart: what waits for the answer does not hold `init`, whose body may be 30 MB.
    return watchAnswer(sent, call, started, anthropic);
  };
  const watchAnswer = async (sent: Promise<UpstreamResponse>, call: UpstreamCall, started: number, anthropic: boolean): Promise<UpstreamResponse> => {
    let response: UpstreamResponse;
    try {
      response = await sent;
    } catch (error) {
      call.error = error instanceof Error ? error.message : String(error);
      if (level >= 1) debug(redact.text(`upstream ✗ after ${Math.round(now() - started)} ms: ${call.error}`));
      throw error;
    }
    call.status = response.status;
    call.headersMs = Math.round(now() - started);
    if (level >= 1) debug(`upstream ← ${response.status} after ${call.headersMs} ms (headers)`);
    if (anthropic) forwarded = createForwardedText();
    const keep = anthropic ? forwarded : undefined;
    if (response.body === null || (level < 2 && keep === undefined)) {
      if (level >= 1) response.body?.once("end", () => debug(`upstream answer ended after ${Math.round(now() - started)} ms`));
      return response;
    }
    let bytes = 0;
    const decoder = new TextDecoder();
    const body = tap(response.body, (chunk) => {
      bytes += chunk.byteLength;
      const text = decoder.decode(chunk, { stream: true });
      keep?.add(text);
      if (level >= 2) debug(`upstream answer: ${clip(redact.text(text))}`);
    });
    if (level >= 1) body.once("end", () => debug(`upstream answer ended after ${Math.round(now() - started)} ms, ${bytes} bytes`));
    return { ...response, body };
  };
  return { client: { post, close: () => client.close() }, calls, forwarded: () => forwarded?.text() };
}

/**
 * `body` through a stage that sees each chunk as it passes. Destroying the stage (the reader let go)
 * destroys `body`, which ends the upstream request; an error of `body` errors the stage, the same error.
 */
function tap(body: Readable, onChunk: (chunk: Uint8Array) => void): Readable {
  const through = new Transform({
    transform(chunk: Uint8Array, _encoding, done) {
      onChunk(chunk);
      done(null, chunk);
    },
  });
  // The reader handles the stage's errors; the callback only keeps pipeline from throwing them.
  pipeline(body, through, () => undefined);
  return through;
}

interface ForwardedText {
  add(text: string): void;
  text(): string;
}

function createForwardedText(): ForwardedText {
  let head = "";
  const tail: string[] = [];
  let tailChars = 0;
  let cut = false;
  return {
    add(text) {
      if (head.length < FORWARDED_HEAD) {
        head += text;
        return;
      }
      tail.push(text);
      tailChars += text.length;
      while (tail.length > 1 && tailChars - tail[0]!.length >= FORWARDED_TAIL) {
        tailChars -= tail.shift()!.length;
        cut = true;
      }
    },
    // A blank line where text was left out: the SSE events on each side stay apart.
    text: () => `${head}${cut ? "\n\n" : ""}${tail.join("")}`,
  };
}
