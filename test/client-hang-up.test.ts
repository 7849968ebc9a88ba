/**
 * A client that hangs up while sending its request body (Ctrl-C in the middle of a large paste, a
 * dropped connection) costs the proxy one log line: no stack trace, and the proxy goes on serving.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

let proxy: MallexProxyProcess;
beforeAll(async () => {
  proxy = await startProxyProcess([]);
}, 60_000);
afterAll(async () => {
  await proxy?.stop();
});

/** Writes the head and the first part of a body, then destroys the socket. */
async function hangUpMidBody(path: string, head: string, part: string): Promise<void> {
  const { port } = new URL(proxy.url);
  const socket = connect(Number(port), "127.0.0.1");
  socket.on("error", () => {});
  await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
  socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${head}\r\n${part}`);
  await new Promise((resolve) => setTimeout(resolve, 200));
  socket.destroy();
}

describe("a client that hangs up mid-body", () => {
  it("is one line in the log, for a declared and a chunked body, on /v1/messages and count_tokens; the proxy serves on", async () => {
    await hangUpMidBody("/v1/messages", "Content-Length: 100000\r\n", '{"model":"claude-sonnet-4-6","messages":[');
    await hangUpMidBody("/v1/messages/count_tokens", "Transfer-Encoding: chunked\r\n", '10\r\n{"model":"claude"\r\n');
    await expect.poll(() => proxy.output().match(/hung up/g)?.length ?? 0, { timeout: 5000 }).toBe(2);
    const output = proxy.output();
    expect(output).toContain("POST /v1/messages · the client hung up before its request body was all sent (41 of 100000 bytes) · req_");
    expect(output).toContain("POST /v1/messages/count_tokens · the client hung up before its request body was all sent (16 bytes) · req_");
    expect(output).not.toMatch(/^\s+at /m);
    expect(output).not.toMatch(/internal error|Error: aborted/);
    expect((await fetch(`${proxy.url}/health`)).status).toBe(200);
  });
});
