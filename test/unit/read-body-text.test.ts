/**
 * Reads from a model server are bounded (issue 37): a body read whole stops at its limit with an
 * error that says so, and a readiness probe reads only the start of an answer, however much follows.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { createAskJson, MAX_FACTS_ANSWER_BYTES } from "../../src/backends/facts/ask-json.js";
import { sendTextRequest } from "../../src/shared/send-text-request.js";
import { BodyTooLargeError, readBodyText, readResponseStart } from "../../src/shared/read-body-text.js";
import { httpProbeRequest } from "../../src/supervisor/probe-readiness.js";

/** A stream of `chunks` chunks of `size` bytes of "x". */
function body(chunks: number, size: number) {
  let sent = 0;
  const stream = new Readable({
    read() {
      this.push(sent++ < chunks ? Buffer.alloc(size, "x") : null);
    },
  });
  return stream;
}

describe("readBodyText", () => {
  it("reads a body up to its limit whole", async () => {
    expect(await readBodyText(body(4, 1024), 4096)).toBe("x".repeat(4096));
  });

  it("rejects past the limit with BodyTooLargeError and destroys the body, reading no further", async () => {
    const stream = body(1_000_000, 64 * 1024);
    await expect(readBodyText(stream, 1024 * 1024)).rejects.toThrow(new BodyTooLargeError(1024 * 1024));
    expect(stream.destroyed).toBe(true);
    await expect(readBodyText(body(2, 600), 1000)).rejects.toThrow("the body is larger than 1,000 bytes");
  });
});

describe("a readiness probe's answer", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("is read only to its first 64 KiB: an endless /health answer ends the probe, and its connection", async () => {
    let closed = false;
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      const chunk = Buffer.alloc(16 * 1024, "y");
      const pump = () => {
        while (res.write(chunk));
      };
      res.on("drain", pump);
      res.on("close", () => (closed = true));
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const answer = await httpProbeRequest(`http://127.0.0.1:${(server.address() as AddressInfo).port}/health`, {
      method: "GET",
      signal: new AbortController().signal,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toBe("y".repeat(64 * 1024));
    await expect.poll(() => closed).toBe(true);
  });
});

/** A Response whose body is `text` once, then "x" without end (counted in `pulled`). */
function endlessResponse(text: string) {
  const state = { pulled: 0, cancelled: false };
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      controller.enqueue(state.pulled++ === 0 ? encoder.encode(text) : new Uint8Array(64 * 1024).fill(0x78));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { response: new Response(body, { headers: { "content-type": "application/json" } }), state };
}

describe("readResponseStart: the start of a fetch answer", () => {
  it("reads a short answer whole", async () => {
    expect(await readResponseStart(new Response('{"n_ctx": 4096}'), 1024)).toEqual({ text: '{"n_ctx": 4096}', cut: false });
  });

  it("stops at its limit, never mid-character, and cancels the rest", async () => {
    const { response, state } = endlessResponse("aaé");
    // The limit falls between é's two bytes: the character is left out, not half shown.
    expect(await readResponseStart(response, 3)).toEqual({ text: "aa", cut: true });
    expect(state.cancelled).toBe(true);
    expect(state.pulled).toBeLessThan(4);
  });
});

describe("a facts probe's answer", () => {
  let server: Server | undefined;
  afterEach(() => {
    server?.closeAllConnections();
    server?.close();
  });

  it("is nothing for an answer of megabytes, read no further than its limit", async () => {
    let sent = 0;
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"default_generation_settings": {"n_ctx": ');
      const chunk = Buffer.alloc(64 * 1024, "x");
      const pump = () => {
        while (!res.destroyed && res.write(chunk)) sent += chunk.length;
      };
      res.on("drain", pump);
      pump();
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const ask = createAskJson(sendTextRequest, {}, new AbortController().signal);
    expect(await ask(`http://127.0.0.1:${(server.address() as AddressInfo).port}/props`)).toBeUndefined();
    // Socket buffers hold some megabytes more than was read, never the endless rest.
    expect(sent).toBeLessThan(MAX_FACTS_ANSWER_BYTES + 16 * 1024 * 1024);
  });
});
