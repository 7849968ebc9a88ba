import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import { StringDecoder } from "node:string_decoder";

export type LimitedBody =
  | { ok: true; text: string }
  | { ok: false; reason: "declared" | "streamed" }
  /** The client closed the connection (or it failed) before its body was all sent: nobody waits for an answer. */
  | { ok: false; reason: "hung-up"; receivedBytes: number };

/**
 * The request body as text, if it is at most `maxBytes`. A Content-Length over the limit is refused
 * before a byte is read; a chunked (or lying) body is counted as it arrives, and reading stops at
 * the first chunk past the limit: never more than the limit is held (the caller answers 413 and
 * discards the rest as it arrives).
 *
 * A client that hangs up partway is an outcome, not an error: it is said in one line, never a stack.
 *
 * On node:http (`node`, the request's IncomingMessage) the body is read from the socket's own
 * chunks, without the web stream a Request's body would wrap them in; elsewhere (app.fetch in
 * tests) from the Request.
 */
export async function readLimitedBody(req: Request, maxBytes: number, node?: IncomingMessage | Http2ServerRequest): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  const length = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > maxBytes) return { ok: false, reason: "declared" };
  if (node !== undefined) return readNodeBody(node, maxBytes);
  if (req.body === null) return { ok: true, text: "" };
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
  return { ok: true, text: Buffer.concat(chunks, size).toString("utf8") };
}

/**
 * {@link readLimitedBody} from node:http's request: its chunks as they come, paused (not destroyed)
 * past the limit, for the caller to discard. Each chunk is decoded as it arrives and dropped: no
 * buffer of the whole body is ever allocated. One was (a 30 MB prompt, then its text): glibc serves
 * an allocation that large with mmap and, once it is freed, raises its mmap threshold to its size,
 * so later large buffers came from its heap and stayed resident after they were freed. The text is
 * joined once, in V8's heap, which hands its pages back when it collects them.
 */
function readNodeBody(node: IncomingMessage | Http2ServerRequest, maxBytes: number): Promise<LimitedBody> {
  if (node.readableEnded) return Promise.resolve({ ok: true, text: "" });
  return new Promise((resolve) => {
    // StringDecoder keeps a character split across two chunks for the next one and replaces
    // invalid bytes with U+FFFD, as Buffer#toString does.
    const decoder = new StringDecoder("utf8");
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
      pieces.push(decoder.write(chunk));
    };
    const onEnd = () => {
      cleanup();
      pieces.push(decoder.end());
      resolve({ ok: true, text: pieces.join("") });
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
