/**
 * The real Claude Code CLI, two sessions at once, through `mallex proxy --backend-url A --backend-url B`
 * (the pool contract): every request of a session — its tool round trips included — goes to one
 * server, and the two sessions go to different servers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude } from "./helpers/claude-code.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

type Message = { role: string; content: unknown };
const messagesOf = (request: FakeRequestRecord) => (request.body as { messages: Message[] }).messages;
const text = (message: Message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content));
/** Which session a request belongs to: its first user turn names it. */
const sessionOf = (request: FakeRequestRecord) =>
  /session (one|two)/.exec(
    messagesOf(request)
      .filter((m) => m.role === "user")
      .map(text)
      .join(" "),
  )?.[1];

/** Like a model: one Bash call (a tool round trip), then the answer. */
function respond(request: FakeRequestRecord): FakeScript {
  const results = messagesOf(request).filter((m) => m.role === "tool");
  if (results.length === 0) return { toolCalls: [{ name: "Bash", arguments: { command: "echo pooled", description: "Say pooled" } }], tokenDelayMs: 20 };
  return { text: `done in session ${sessionOf(request)}` };
}

let a: FakeMlxServer;
let b: FakeMlxServer;
let proxy: MallexProxyProcess;

beforeAll(async () => {
  [a, b] = await Promise.all([createFakeMlxServer({ respond }), createFakeMlxServer({ respond })]);
  proxy = await startProxyProcess(["--backend-url", a.url, "--backend-url", b.url], undefined, { ANTHROPIC_API_KEY: "" });
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await Promise.all([a?.close(), b?.close()]);
});

const generations = (server: FakeMlxServer) => server.requests.filter((r) => r.path.startsWith("/v1/chat/completions"));

describe("Claude Code through a pool of two servers", () => {
  it("keeps each session on one server, tool round trips included, and puts the two sessions on different servers", async () => {
    const run = (name: string) =>
      runClaude(proxy.url, makeProject(), ["-p", `run echo pooled for session ${name}`, "--output-format", "json", "--allowedTools", "Bash"]);
    const [one, two] = await Promise.all([run("one"), run("two")]);
    for (const [result, name] of [
      [one, "one"],
      [two, "two"],
    ] as const) {
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: `done in session ${name}`, num_turns: 2 });
    }
    const onA = new Set(generations(a).map(sessionOf));
    const onB = new Set(generations(b).map(sessionOf));
    // Each server saw one session only, both of its requests (the call, then the answer after the tool's result).
    expect([onA.size, onB.size]).toEqual([1, 1]);
    expect(new Set([...onA, ...onB])).toEqual(new Set(["one", "two"]));
    expect(generations(a).length).toBeGreaterThanOrEqual(2);
    expect(generations(b).length).toBeGreaterThanOrEqual(2);
  }, 90_000);
});
