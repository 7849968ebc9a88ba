/**
 * count_tokens against a llama-server that answers anything (issue 37): only `{input_tokens: a
 * non-negative integer}` is taken; a negative count, a string, HTML, an answer of megabytes or one
 * left open past 5 s gets mallex's own estimate, logged, and the proxy reads no more of it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { createTestProxy, defaultTable } from "./helpers/test-proxy.js";

let server: Server | undefined;
let closed = false;
async function llamaServer(answer: (res: ServerResponse, req: IncomingMessage) => void): Promise<string> {
  closed = false;
  server = createServer((req, res) => {
    res.on("close", () => (closed = true));
    req.resume();
    req.on("end", () => answer(res, req));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
}
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
});

const llamaTable = (): RoutingTable => ({
  ...defaultTable,
  backends: Object.fromEntries(
    Object.entries(defaultTable.backends).map(([name, backend]) => [name, backend.kind === "openai" ? { ...backend, flavor: "llama-server" } : backend]),
  ),
});
const ask = { model: "claude-opus-4-8", messages: [{ role: "user", content: "what is 2+2" }] };

async function count(answer: (res: ServerResponse) => void) {
  const proxy = createTestProxy({ backendUrl: await llamaServer(answer), table: llamaTable() });
  const response = await proxy.post("/v1/messages/count_tokens", ask);
  return { status: response.status, body: (await response.json()) as { input_tokens: unknown }, logs: proxy.logs };
}

const json = (value: unknown) => (res: ServerResponse) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.end(JSON.stringify(value));
};

describe("count_tokens from a llama-server", () => {
  it("takes the server's own count", async () => {
    expect(await count(json({ input_tokens: 17 }))).toMatchObject({ status: 200, body: { input_tokens: 17 } });
  });

  const estimate = async (answer: (res: ServerResponse) => void, why: RegExp) => {
    const { status, body, logs } = await count(answer);
    expect(status).toBe(200);
    expect(Number.isSafeInteger(body.input_tokens) && (body.input_tokens as number) > 0).toBe(true);
    expect(logs.join("\n")).toMatch(why);
  };

  it.each([
    ["a negative count", json({ input_tokens: -5 }), /could not count \(its answer holds no count of tokens: \{"input_tokens":-5\}\); answering an estimate/],
    ["a string", json({ input_tokens: "12" }), /its answer holds no count of tokens/],
    ["a fraction", json({ input_tokens: 1.5 }), /its answer holds no count of tokens/],
    ["HTML", (res: ServerResponse) => res.end("<html>oops</html>"), /its answer is not JSON: <html>oops<\/html>/],
    [
      "an error status",
      (res: ServerResponse) => {
        res.writeHead(500);
        res.end("model crashed");
      },
      /HTTP 500: model crashed/,
    ],
  ])("answers its own estimate for %s, and says why", async (_name, answer, why) => {
    await estimate(answer, why);
  });

  it("reads no more than 4 KiB of an answer of megabytes", async () => {
    await estimate((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      const chunk = Buffer.alloc(1024 * 1024, " ");
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
      };
      res.on("drain", pump);
      pump();
    }, /its answer is longer than 4096 bytes/);
    await expect.poll(() => closed).toBe(true);
  });

  it("gives up on an answer left open past 5 s", async () => {
    await estimate((res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"input_tokens": ');
    }, /could not count \(.*(timeout|abort).*\); answering an estimate/i);
    await expect.poll(() => closed).toBe(true);
  }, 15_000);
});
