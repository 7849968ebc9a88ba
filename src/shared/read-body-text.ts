import type { Readable } from "node:stream";

/** A body's text, whether it was read as text or kept as its bytes (see readLimitedBody). */
export const bodyText = (body: string | Buffer): string => (typeof body === "string" ? body : body.toString("utf8"));

/** What {@link readBodyText} rejects with past its limit: the body was destroyed unread. */
export class BodyTooLargeError extends Error {
  readonly code = "E_BODY_TOO_LARGE";
  constructor(readonly maxBytes: number) {
    super(`the body is larger than ${maxBytes.toLocaleString("en-US")} bytes`);
    this.name = "BodyTooLargeError";
  }
}

/**
 * A body read whole, as UTF-8 text, up to `maxBytes`: past it the body is destroyed and the read
 * rejects with a {@link BodyTooLargeError} (a model server's answer past V8's longest string, ~512
 * MiB, would otherwise throw where nothing catches it). Read by its `data` events, so the body flows
 * (and the upstream client's silence limit runs while it does); rejects with the body's own error.
 * Each piece is decoded as it comes: decoded at the end, a 7 MiB answer's bytes were copied and
 * decoded in one stretch of 10–20 ms, and held twice meanwhile.
 */
export function readBodyText(body: Readable, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const decoder = new TextDecoder();
    let text = "";
    let size = 0;
    body.on("data", (chunk: Buffer) => {
      if (size > maxBytes) return;
      size += chunk.length;
      if (size > maxBytes) {
        text = "";
        reject(new BodyTooLargeError(maxBytes));
        body.destroy();
        return;
      }
      text += decoder.decode(chunk, { stream: true });
    });
    // A character cut by the end of the body becomes U+FFFD, as Buffer's toString made it.
    body.once("end", () => resolve(text + decoder.decode()));
    body.once("error", reject);
    // Destroyed without an error of its own (its request was ended under it): nothing more comes.
    body.once("close", () => {
      if (!body.readableEnded) reject(Object.assign(new Error("other side closed"), { code: "ECONNRESET" }));
    });
  });
}

/**
 * At most `maxBytes` of a body, as UTF-8 text (an upstream error's body: enough to show and pass
 * on, never all of a server's gigabytes); the rest is not read, the body destroyed. `cut`: there was more.
 */
export function readBodyStart(body: Readable, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (cut: boolean) => {
      if (done) return;
      done = true;
      const all = Buffer.concat(chunks);
      // A cut may fall inside a character: its bytes are dropped, not shown as U+FFFD.
      resolve({ text: new TextDecoder().decode(all.subarray(0, Math.min(all.length, maxBytes)), { stream: cut }), cut });
    };
    body.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > maxBytes) {
        finish(true);
        body.destroy();
      }
    });
    body.once("end", () => finish(false));
    body.once("error", (error) => {
      if (!done) reject(error);
    });
    body.once("close", () => {
      if (!done && !body.readableEnded) reject(Object.assign(new Error("other side closed"), { code: "ECONNRESET" }));
    });
  });
}

/**
 * At most `maxBytes` of a fetch Response's body, as UTF-8 text (a server's JSON answer: a facts
 * probe, exo's API, a token count); the rest is not read and the body is cancelled. `cut`: there
 * was more. Rejects with the body's error (an abort under the request's signal included).
 */
export async function readResponseStart(response: Response, maxBytes: number): Promise<{ text: string; cut: boolean }> {
  if (response.body === null) return { text: "", cut: false };
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { text: text + decoder.decode(), cut: false };
    const room = maxBytes - size;
    size += value.length;
    if (value.length > room) {
      // A cut may fall inside a character: its bytes are dropped, not shown as U+FFFD.
      text += decoder.decode(value.subarray(0, room), { stream: true });
      await reader.cancel().catch(() => undefined);
      return { text, cut: true };
    }
    text += decoder.decode(value, { stream: true });
  }
}
