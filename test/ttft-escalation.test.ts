/**
 * Escalation on predicted time to first token, through `mallex proxy` as a real process: a fake
 * mlx-lm.server that prefills slowly teaches mallex its rate on Claude Code's own request, after
 * which a long prompt no cache holds goes to the Claude tier (a fake Anthropic API on loopback) and
 * says why, in the log and in x-mallex-route, while the next turn of a conversation the local server
 * has cached stays local, and so does a new session that brings little beyond what sessions share.
 * A restarted proxy still knows the rate (MALLEX_HOME/ttft-rates.json).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startFakeAnthropicApi, type FakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { localAndClaudeConfig, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, readCapture } from "./helpers/shared-dir.js";
import { postAsSession, routeReason } from "./helpers/route-reason.js";

type Body = { messages: Array<{ role: string; content: unknown }>; [key: string]: unknown };

/** Prompt tokens the fake prefills per second: a long uncached prompt takes a second or more. */
const PREFILL_RATE = 20_000;

/** Lines of a pasted log, different for every `tag`: no prefix cache holds any of them. */
const pastedLog = (tag: string, lines: number) =>
  Array.from({ length: lines }, (_, i) => `${tag} line ${i}: worker ${(i * 7919) % 10007} finished step ${i % 97}`).join("\n");

describeWithShared("escalation on predicted time to first token (mallex proxy)", () => {
  const capture = readCapture<Body>("tool-use-first-request.json");
  // What Claude Code sent, less what the transport adds.
  const { host: _host, "content-length": _length, connection: _connection, "accept-encoding": _encoding, ...headers } = capture.headers;
  /** Claude Code's first request of a session, with a log pasted into the user's message. */
  const firstTurn = (tag: string, lines: number): Body => {
    const [first, ...rest] = capture.body.messages;
    const content = typeof first!.content === "string" ? [{ type: "text", text: first!.content }] : (first!.content as unknown[]);
    return { ...capture.body, messages: [{ ...first!, content: [...content, { type: "text", text: pastedLog(tag, lines) }] }, ...rest] };
  };
  /** The next turn: the same conversation with the answer and a short question appended. */
  const nextTurn = (previous: Body): Body => ({
    ...previous,
    messages: [
      ...previous.messages,
      { role: "assistant", content: [{ type: "text", text: "The log shows every worker finishing." }] },
      { role: "user", content: "Which step was the slowest?" },
    ],
  });

  let mlx: FakeMlxServer;
  let api: FakeAnthropicApi;
  let configPath: string;
  const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
  const claudeAsked = () => api.received.map((request) => request.body.model);
  let proxy: MallexProxyProcess | undefined;

  beforeAll(async () => {
    mlx = await createFakeMlxServer({ prefillTokensPerSecond: PREFILL_RATE });
    api = await startFakeAnthropicApi();
    const dir = writeTree({ "mallex.yaml": localAndClaudeConfig({ medium: ", max_ttft_s: 0.5", routing: "  sticky_escalation: false\n" }) });
    configPath = join(dir, "mallex.yaml");
  }, 30_000);

  afterAll(async () => {
    await proxy?.stop();
    await mlx?.close();
    await api?.close();
  });

  const start = () =>
    startProxyProcess(["--config", configPath, "--backend-url", mlx.url, "--anthropic-url", api.url], home, { ANTHROPIC_API_KEY: "sk-ant-test" });
  const send = (body: Body, session: string) => postAsSession(proxy!.url, headers, body, session);

  it("learns the local server's prefill rate, escalates a long uncached prompt to Claude saying why, keeps a cached continuation local", async () => {
    proxy = await start();
    // Three sessions teach the rate; with none learned yet, nothing is predicted and all stay local.
    const learned: Body[] = [];
    for (const tag of ["alpha", "bravo", "charlie"]) {
      const body = firstTurn(tag, 400);
      const reply = await send(body, `learn-${tag}`);
      expect(reply.status).toBe(200);
      expect(reply.route).toMatch(/^tier=medium; profile=coder; backend=local; reason="default \\u2192 medium"$/);
      learned.push(body);
    }
    expect(proxy.output()).not.toContain("predicted ttft");
    expect(claudeAsked()).toEqual([]);

    // A new session with a long pasted log: nothing of it is cached, and the learned rate says it is slow.
    const long = await send(firstTurn("delta", 2_000), "fresh");
    expect(long.status).toBe(200);
    expect(long.text).toContain("from the fake claude");
    expect(claudeAsked()).toEqual(["claude-sonnet-4-6"]);
    expect(long.route).toMatch(/^tier=high; profile=claude; backend=anthropic; reason=/);
    expect(routeReason(long.route)).toMatch(/^default → medium → predicted ttft [\d.]+ s > max_ttft_s 0\.5 of tier medium, escalated to high$/);
    expect(proxy.output()).toMatch(/predicted ttft [\d.]+ s > max_ttft_s 0\.5 of tier medium, escalating to high/);

    // The next turn of a conversation the local server just prefilled: only the new words are uncached.
    const requestsBefore = mlx.requests.length;
    const continued = await send(nextTurn(learned[2]!), "learn-charlie");
    expect(continued.status).toBe(200);
    expect(continued.route).toMatch(/^tier=medium; profile=coder; backend=local; reason="default \\u2192 medium"$/);
    expect(mlx.requests.length).toBe(requestsBefore + 1);
    expect(claudeAsked()).toHaveLength(1);

    // A new session with a short paste: most of its prompt is what every session shares, which the
    // first one prefilled; mallex learned how much that is, so it stays local too.
    const short = await send(firstTurn("foxtrot", 100), "fresh-short");
    expect(short.route).toMatch(/^tier=medium; profile=coder; backend=local; reason="default \\u2192 medium"$/);
    expect(claudeAsked()).toHaveLength(1);
    expect(proxy.output().match(/predicted ttft/g)).toHaveLength(2); // the long one's two lines only

    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/^mallex_prefill_tokens_per_second\{profile="coder"\} \d+/m);
  }, 60_000);

  it("keeps what it learned across a restart", async () => {
    await proxy!.stop();
    const saved = JSON.parse(readFileSync(join(home, "ttft-rates.json"), "utf8")) as { profiles: Record<string, Record<string, { prefill: number[] }>> };
    expect(saved.profiles.coder!["test-coder"]!.prefill.length).toBeGreaterThanOrEqual(3);
    proxy = await start();
    const long = await send(firstTurn("echo", 2_000), "after-restart");
    expect(long.status).toBe(200);
    expect(routeReason(long.route)).toContain("of tier medium, escalated to high");
    expect(claudeAsked()).toHaveLength(2);
  }, 60_000);
});
