import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { StringDecoder } from "node:string_decoder";

export type LimitedBody =
  /** `body`: a body of at most BYTES_KEPT_UP_TO as its bytes (decoded where it is read), a larger one as its text. */
  | { ok: true; body: string | Buffer }
  | { ok: false; reason: "declared" | "streamed" }
  /** The client closed the connection (or it failed) before its body was all sent: nobody waits for an answer. */
  | { ok: false; reason: "hung-up"; receivedBytes: number };

/**
 * Bodies up to this size are kept as their bytes: one whose parts the prefix cache knows is then
 * decoded only in part (checkMessagesBody). Larger ones are decoded as their chunks come (below).
 */
export const BYTES_KEPT_UP_TO = 1024 * 1024;

/**
 * The request body, if it is at most `maxBytes`: its bytes up to `keepBytesUpTo`, its text past
 * that. A Content-Length over the limit is refused before a byte is read; a chunked (or lying) body
 * is counted as it arrives, and reading stops at the first chunk past the limit: never more than
 * the limit is held (the caller answers 413 and discards the rest as it arrives).
 *
 * A client that hangs up partway is an outcome, not an error: it is said in one line, never a stack.
 *
 * On node:http (`node`, the request's IncomingMessage) the body is read from the socket's own
 * chunks, without the web stream a Request's body would wrap them in; elsewhere (app.fetch in
 * tests) from the Request.
 */
export async function readLimitedBody(
  req: Request,
  maxBytes: number,
  node?: IncomingMessage | Http2ServerRequest,
  keepBytesUpTo = BYTES_KEPT_UP_TO,
): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  const length = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > maxBytes) return { ok: false, reason: "declared" };
  if (node !== undefined) return readNodeBody(node, maxBytes, keepBytesUpTo);
  if (req.body === null) return { ok: true, body: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const read = await reader.read().then(
      (result) => result,
      () => undefined,
    );
    if (read === undefined) return { ok: false, reason: "hung-up", receivedBytes: size };
    const { done, value } = read;
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      // Not cancel(): that destroys the socket before the 413 can be written. The stream stays
      // paused until the connection closes after the answer.
      reader.releaseLock();
      return { ok: false, reason: "streamed" };
    }
    chunks.push(value);
  }
  const bytes = Buffer.concat(chunks, size);
  return { ok: true, body: size <= keepBytesUpTo ? bytes : bytes.toString("utf8") };
}

/**
 * {@link readLimitedBody} from node:http's request: its chunks as they come, paused (not destroyed)
 * past the limit, for the caller to discard. Up to `keepBytesUpTo` the chunks are kept and joined;
 * past it, each chunk is decoded as it arrives and dropped: no buffer of a large body is ever
 * allocated. One was (a 30 MB prompt, then its text): glibc serves an allocation that large with
 * mmap and, once it is freed, raises its mmap threshold to its size, so later large buffers came
 * from its heap and stayed resident after they were freed. The text is joined once, in V8's heap,
 * which hands its pages back when it collects them.
 */
function readNodeBody(node: IncomingMessage | Http2ServerRequest, maxBytes: number, keepBytesUpTo: number): Promise<LimitedBody> {
  if (node.readableEnded) return Promise.resolve({ ok: true, body: "" });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    // Past keepBytesUpTo: StringDecoder keeps a character split across two chunks for the next
    // one and replaces invalid bytes with U+FFFD, as Buffer#toString does.
    let decoder: StringDecoder | undefined;
    const pieces: string[] = [];
    let size = 0;
    const cleanup = () => {
      node.off("data", onData);
      node.off("end", onEnd);
      node.off("error", onError);
      node.off("close", onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.byteLength;
      if (size > maxBytes) {
        cleanup();
        node.pause();
        resolve({ ok: false, reason: "streamed" });
        return;
      }
      if (decoder === undefined && size <= keepBytesUpTo) {
        chunks.push(chunk);
        return;
      }
      if (decoder === undefined) {
        decoder = new StringDecoder("utf8");
        for (const kept of chunks.splice(0)) pieces.push(decoder.write(kept));
      }
      pieces.push(decoder.write(chunk));
    };
    const onEnd = () => {
      cleanup();
      if (decoder === undefined) {
        resolve({ ok: true, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size) });
        return;
      }
      pieces.push(decoder.end());
      resolve({ ok: true, body: pieces.join("") });
    };
    const hungUp = () => {
      cleanup();
      resolve({ ok: false, reason: "hung-up", receivedBytes: size });
    };
    const onError = hungUp;
    const onClose = hungUp;
    node.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
  });
}

/** One sentence for a body cut short by its client: how much came of how much it announced. */
export function hungUpMessage(receivedBytes: number, declared: string | null): string {
  const of = declared !== null && /^\d+$/.test(declared) ? ` of ${declared}` : "";
  return `the client hung up before its request body was all sent (${receivedBytes}${of} bytes)`;
}
