/**
 * The contract outside checks use: `mallex proxy --backend-url A --backend-url B` as a real process
 * pools the two servers for every local profile, keeps each x-claude-code-session-id on one of them,
 * and fails over to the other when one dies, with no error for the client.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

let a: FakeMlxServer;
let b: FakeMlxServer;
let proxy: MallexProxyProcess;

beforeAll(async () => {
  [a, b] = await Promise.all([createFakeMlxServer(), createFakeMlxServer()]);
  proxy = await startProxyProcess(["--backend-url", a.url, "--backend-url", b.url], undefined, { ANTHROPIC_API_KEY: "" });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

function turn(session: string, n: number) {
  const messages: Array<{ role: string; content: string }> = [{ role: "user", content: `Say hello for ${session}.` }];
  for (let i = 1; i < n; i++) messages.push({ role: "assistant", content: "Hello." }, { role: "user", content: `Turn ${i + 1}.` });
  return fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-claude-code-session-id": session },
    body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 64, messages }),
  });
}

const sessionsOn = (server: FakeMlxServer) =>
  server.requests.filter((r) => r.path.startsWith("/v1/chat/completions")).map((r) => /for (\w+)\./.exec(JSON.stringify(r.body))?.[1]);

describe("mallex proxy with --backend-url given twice", () => {
  it("says it serves both, keeps each session on one server, spreads sessions, and fails over when one dies", async () => {
    expect(proxy.output()).toContain(`→ ${a.url}, ${b.url}`);
    for (let n = 1; n <= 2; n++) {
      for (const session of ["s1", "s2"]) {
        const response = await turn(session, n);
        expect(response.status).toBe(200);
        expect(response.headers.get("x-mallex-route")).toMatch(/backend=local/);
      }
    }
    expect(sessionsOn(a)).toEqual(["s1", "s1"]);
    expect(sessionsOn(b)).toEqual(["s2", "s2"]);
    expect(proxy.output()).toContain(`on ${b.url}`);

    await a.close();
    const response = await turn("s1", 3);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { type: string }).type).toBe("message");
    expect(sessionsOn(b)).toEqual(["s2", "s2", "s1"]);
    expect((await turn("s1", 4)).status).toBe(200);
    expect(sessionsOn(b)).toHaveLength(4);
  });
});
