import { mkdtempSync } from "node:fs";
import { Agent, request, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadValidator } from "../src/shared/load-validator.js";
import { startProxy, type RunningProxy } from "../src/server/start-proxy.js";
import { loadTemplates } from "../src/templates/load-templates.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { packageRoot } from "./helpers/config-tree.js";
import { defaultTable } from "./helpers/test-proxy.js";

// Every answer of mallex's HTTP server tells a keep-alive client how long the connection may idle
// (`Keep-Alive: timeout=N`), so the client stops reusing it before the server closes it. Streamed
// answers set their own `connection` header and so went without it: a client that reused their
// connection as the server closed it got "socket hang up" (npm run bench:peers, issue 26).

let mlx: FakeMlxServer;
let proxy: RunningProxy;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
  const [validateMessages, templates] = await Promise.all([loadValidator(packageRoot, "validate-messages"), loadTemplates(`${packageRoot}/generated`)]);
  const mallexHome = mkdtempSync(join(tmpdir(), "mallex-home-"));
  proxy = await startProxy({ table: defaultTable, validateMessages, templates, env: {}, mallexHome, port: 0, backendUrl: mlx.url, print: () => {} });
});
afterAll(async () => {
  await proxy?.close();
  await mlx?.close();
});

/** The status and headers of one request, as they came over the wire, asked on a keep-alive connection of its own (node:http). */
function headersOf(path: string, body?: object): Promise<{ status: number; headers: IncomingHttpHeaders }> {
  const agent = new Agent({ keepAlive: true });
  return new Promise<{ status: number; headers: IncomingHttpHeaders }>((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      `${proxy.url}${path}`,
      { method: payload === undefined ? "GET" : "POST", agent, headers: payload === undefined ? {} : { "content-type": "application/json" } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end(payload);
  }).finally(() => agent.destroy());
}

const ask = (stream: boolean) => ({ model: "claude-sonnet-4-6", max_tokens: 20, stream, messages: [{ role: "user", content: "what is 2+2" }] });

describe("the keep-alive timeout, announced on every kind of answer", () => {
  it.each([
    ["a streamed message", "/v1/messages", ask(true), 200, "text/event-stream; charset=utf-8"],
    ["a whole message", "/v1/messages", ask(false), 200, "application/json"],
    ["a refused request", "/v1/messages", { model: "m" }, 400, "application/json"],
    ["/health", "/health", undefined, 200, "application/json"],
  ] as const)("%s", async (_kind, path, body, status, type) => {
    const answer = await headersOf(path, body);
    expect(answer.status).toBe(status);
    expect(answer.headers["content-type"]).toContain(type);
    expect(answer.headers.connection).toBe("keep-alive");
    expect(answer.headers["keep-alive"]).toMatch(/^timeout=[1-9]\d*$/);
  });
});
