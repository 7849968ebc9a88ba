import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";

export type LimitedBody = { ok: true; text: string } | { ok: false; reason: "declared" | "streamed" };

/**
 * The request body as text, if it is at most `maxBytes`. A Content-Length over the limit is refused
 * before a byte is read; a chunked (or lying) body is counted as it arrives, and reading stops at
 * the first chunk past the limit: never more than the limit is held (the caller answers 413 and
 * discards the rest as it arrives).
 *
 * On node:http (`node`, the request's IncomingMessage) the body is read from the socket's own
 * chunks, without the web stream a Request's body would wrap them in; elsewhere (app.fetch in
 * tests) from the Request.
 */
export async function readLimitedBody(req: Request, maxBytes: number, node?: IncomingMessage | Http2ServerRequest): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  const length = declared !== null && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (length !== undefined && length > maxBytes) return { ok: false, reason: "declared" };
  if (node !== undefined) return readNodeBody(node, maxBytes, length);
  if (req.body === null) return { ok: true, text: "" };
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
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
 * past the limit, for the caller to discard. A body with a Content-Length is copied, chunk by chunk,
 * into one buffer of that size: no chunk outlives its copy, and there is no concatenation of them
 * all (a 30 MB body was otherwise held three times over when decoded: chunks, their concatenation,
 * the text).
 */
function readNodeBody(node: IncomingMessage | Http2ServerRequest, maxBytes: number, declared: number | undefined): Promise<LimitedBody> {
  if (node.readableEnded) return Promise.resolve({ ok: true, text: "" });
  return new Promise((resolve, reject) => {
    let into = declared === undefined ? undefined : Buffer.allocUnsafe(declared);
    const chunks: Buffer[] = [];
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
      if (into !== undefined && size <= into.byteLength) return void chunk.copy(into, size - chunk.byteLength);
      // More than declared (node:http's parser lets no such body through): kept as chunks from here on.
      if (into !== undefined) chunks.push(into.subarray(0, size - chunk.byteLength));
      into = undefined;
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve({ ok: true, text: decode(into, chunks, size) });
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(node.errored ?? new DOMException("The client closed the request before its body was read.", "AbortError"));
    };
    node.on("data", onData).once("end", onEnd).once("error", onError).once("close", onClose);
  });
}

/** The body's text: what was copied into `into` (a body shorter than declared fills only its start), else its chunks. */
function decode(into: Buffer | undefined, chunks: Buffer[], size: number): string {
  if (into !== undefined) return into.toString("utf8", 0, size);
  return (chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)).toString("utf8");
}
