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
