/**
 * The proxy's body reader on node:http: a small body kept as its bytes, a large one decoded as each
 * chunk arrives (issue 24: never a buffer of the whole body); the same text either way, whatever the
 * framing and however the bytes are split, a multi-byte character across two chunks included, and
 * invalid bytes replaced as Buffer#toString does.
 */
import { createServer, request, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BYTES_KEPT_UP_TO, readLimitedBody, type LimitedBody } from "../../src/http/read-limited-body.js";
import { bodyText } from "../../src/shared/read-body-text.js";

const MAX = 64 * 1024;
let url: string;
const read: Promise<LimitedBody>[] = [];
/** Bodies up to this size are kept as bytes (the server's BYTES_KEPT_UP_TO is 1 MB): each test says. */
let keepBytesUpTo = BYTES_KEPT_UP_TO;
const server = createServer((req, res) => {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === "string") headers.set(name, value);
  const body = readLimitedBody(new Request("http://127.0.0.1/", { method: "POST", headers }), MAX, req, keepBytesUpTo);
  read.push(body);
  void body.then((result) => {
    if (!result.ok) req.resume();
    res.end(result.ok ? "read" : "refused");
  });
});

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

/** Posts `pieces` as separate writes, some time apart, declared with a Content-Length or chunked; resolves with what the reader made of them. */
async function post(pieces: Buffer[], framing: "content-length" | "chunked"): Promise<LimitedBody> {
  const size = pieces.reduce((sum, piece) => sum + piece.byteLength, 0);
  const req = request(url, { method: "POST", headers: framing === "content-length" ? { "content-length": String(size) } : { "transfer-encoding": "chunked" } });
  const answered = new Promise<IncomingMessage>((resolve) => req.once("response", resolve));
  for (const piece of pieces) {
    req.write(piece);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  req.end();
  (await answered).resume();
  return read.at(-1)!;
}

/** What was read, as text, and whether it came as the body's bytes. */
const asText = (result: LimitedBody) => (result.ok ? { ok: true, text: bodyText(result.body), bytes: Buffer.isBuffer(result.body) } : result);

describe.each([
  ["kept as its bytes", MAX],
  ["decoded as each chunk arrives", 0],
])("readLimitedBody on node:http, a body %s", (_how, keep) => {
  beforeAll(() => void (keepBytesUpTo = keep));
  afterAll(() => void (keepBytesUpTo = BYTES_KEPT_UP_TO));
  const bytesKept = keep > 0;
  const text = `{"messages":[{"role":"user","content":"naïve — ${"x".repeat(20_000)} 日本語 🙂"}]}`;
  const bytes = Buffer.from(text);
  // Cuts inside the two-byte ï, the three-byte 日 and the four-byte emoji.
  const cuts = [bytes.indexOf("ï") + 1, bytes.indexOf("日") + 2, bytes.length - 5];
  const pieces = [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));

  it("reads a body declared by Content-Length, split anywhere, as the text that was sent", async () => {
    expect(pieces.length).toBe(4);
    expect(asText(await post(pieces, "content-length"))).toEqual({ ok: true, text, bytes: bytesKept });
  });

  it("reads a chunked body the same way", async () => {
    expect(asText(await post(pieces, "chunked"))).toEqual({ ok: true, text, bytes: bytesKept });
  });

  it("replaces invalid and truncated UTF-8 with U+FFFD, as Buffer#toString does, wherever the chunks are cut", async () => {
    const broken = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xff, 0xc3]), Buffer.from("x"), Buffer.from("日").subarray(0, 2), Buffer.from('"}')]);
    const split = [broken.subarray(0, 7), broken.subarray(7, 11), broken.subarray(11)];
    expect(asText(await post(split, "content-length"))).toEqual({ ok: true, text: broken.toString("utf8"), bytes: bytesKept });
  });

  it("reads an empty body with a Content-Length of 0", async () => {
    expect(asText(await post([], "content-length"))).toMatchObject({ ok: true, text: "" });
  });
});

describe("readLimitedBody on node:http, a body past its limit", () => {
  it("refuses a declared body over the limit before reading it, and a chunked one at the first chunk past it", async () => {
    expect(await post([Buffer.alloc(MAX + 1, 0x61)], "content-length")).toEqual({ ok: false, reason: "declared" });
    expect(await post([Buffer.alloc(MAX / 2, 0x61), Buffer.alloc(MAX / 2, 0x62), Buffer.alloc(10, 0x63)], "chunked")).toEqual({
      ok: false,
      reason: "streamed",
    });
  });
});

describe("readLimitedBody when the client hangs up partway", () => {
  it("on node:http: an outcome with the bytes that came, not an error", async () => {
    const req = request(url, { method: "POST", headers: { "content-length": "10000" } });
    req.on("error", () => {});
    req.write(Buffer.alloc(1000, 0x61));
    await new Promise((resolve) => setTimeout(resolve, 50));
    req.destroy();
    await expect.poll(() => read.length).toBeGreaterThan(0);
    expect(await read.at(-1)).toEqual({ ok: false, reason: "hung-up", receivedBytes: 1000 });
  });

  it("from a Request whose body stream fails", async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulls++ === 0) controller.enqueue(new Uint8Array(10));
        else controller.error(new Error("aborted"));
      },
    });
    const cut = new Request("http://127.0.0.1/", { method: "POST", body, duplex: "half" } as RequestInit);
    expect(await readLimitedBody(cut, MAX)).toEqual({ ok: false, reason: "hung-up", receivedBytes: 10 });
  });
});
