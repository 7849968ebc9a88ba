import type { Readable } from "node:stream";

/**
 * A body read whole, as UTF-8 text. Read by its `data` events, so the body flows (and the upstream
 * client's silence limit runs while it does); rejects with the body's own error.
 */
export function readBodyText(body: Readable): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    body.on("data", (chunk: Buffer) => chunks.push(chunk));
    body.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
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
