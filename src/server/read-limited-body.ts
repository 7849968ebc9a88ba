export type LimitedBody = { ok: true; text: string } | { ok: false; reason: "declared" | "streamed" };

/**
 * The request body as text, if it is at most `maxBytes`. A Content-Length over the limit is refused
 * before a byte is read; a chunked (or lying) body is counted as it arrives, and reading stops at
 * the first chunk past the limit: never more than the limit is held, and the rest is never read
 * (the caller answers 413 and closes the connection).
 */
export async function readLimitedBody(req: Request, maxBytes: number): Promise<LimitedBody> {
  const declared = req.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) return { ok: false, reason: "declared" };
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
