/**
 * Escalation of a stalled local model, through `mallex proxy` as a real process: Claude Code's own
 * request, continued with two Edit calls that failed the same way, goes to the Claude tier (a fake
 * Anthropic API on loopback) with the reason in x-mallex-route, and the session stays there
 * (sticky_escalation); with `routing.escalate_on_stall: false` the same conversation stays local.
 */
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { startFakeAnthropicApi, type FakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { localAndClaudeConfig, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, readCapture } from "./helpers/shared-dir.js";
import { postAsSession, routeReason } from "./helpers/route-reason.js";

type Body = { messages: Array<{ role: string; content: unknown }>; [key: string]: unknown };

describeWithShared("escalation of a stalled local model (mallex proxy)", () => {
  const capture = readCapture<Body>("tool-use-first-request.json");
  // What Claude Code sent, less what the transport adds.
  const { host: _host, "content-length": _length, connection: _connection, "accept-encoding": _encoding, ...headers } = capture.headers;
  const edit = { file_path: "/home/dev/tiny-repo/hello.txt", old_string: "hi there", new_string: "hello" };
  let calls = 0;
  /** The conversation so far, with one more Edit round trip: the call, and Claude Code's answer to it. */
  const withEdit = (previous: Body, input: typeof edit, outcome: "failed" | "done"): Body => {
    const id = `toolu_0${++calls}Edit`;
    const result =
      outcome === "failed"
        ? {
            type: "tool_result",
            tool_use_id: id,
            is_error: true,
            content: `<tool_use_error>String to replace not found in file.\nString: ${input.old_string}</tool_use_error>`,
          }
        : { type: "tool_result", tool_use_id: id, content: `The file ${input.file_path} has been updated.` };
    return {
      ...previous,
      messages: [
        ...previous.messages,
        {
          role: "assistant",
          content: [
            { type: "text", text: "I'll update hello.txt." },
            { type: "tool_use", id, name: "Edit", input },
          ],
        },
        { role: "user", content: [result] },
      ],
    };
  };
  const stalled = () => withEdit(withEdit(capture.body, edit, "failed"), edit, "failed");

  let mlx: FakeMlxServer;
  let api: FakeAnthropicApi;
  let proxy: MallexProxyProcess | undefined;
  const dir = writeTree({ "on.yaml": localAndClaudeConfig(), "off.yaml": localAndClaudeConfig({ routing: "  escalate_on_stall: false\n" }) });

  beforeAll(async () => {
    mlx = await createFakeMlxServer();
    api = await startFakeAnthropicApi();
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    await mlx?.close();
    await api?.close();
  });

  const start = (file: string) =>
    startProxyProcess(["--config", join(dir, file), "--backend-url", mlx.url, "--anthropic-url", api.url], undefined, { ANTHROPIC_API_KEY: "sk-ant-test" });
  const send = (body: Body, session: string) => postAsSession(proxy!.url, headers, body, session);

  it("sends a conversation whose last two Edit calls failed the same way to the Claude tier, saying why, and the session stays there", async () => {
    proxy = await start("on.yaml");
    const reply = await send(stalled(), "stuck");
    expect(reply.status).toBe(200);
    expect(reply.text).toContain("from the fake claude");
    expect(reply.route).toMatch(/^tier=high; profile=claude; backend=anthropic; reason=/);
    expect(routeReason(reply.route)).toBe("stalled: Edit on tiny-repo/hello.txt failed twice with the same input → high");
    expect(api.received.map((request) => request.body.model)).toEqual(["claude-sonnet-4-6"]);
    expect(proxy.output()).toContain("(stalled: Edit on tiny-repo/hello.txt failed twice with the same input → high)");

    // Claude's edit worked: nothing is stalled any more, and the session stays on its tier.
    const next = await send(withEdit(stalled(), { ...edit, old_string: "hi" }, "done"), "stuck");
    expect(next.route).toMatch(/^tier=high; profile=claude; backend=anthropic; reason="sticky escalation \\u2192 high"$/);

    // One failed Edit in another session is no stall: it stays local.
    const once = await send(withEdit(capture.body, edit, "failed"), "fine");
    expect(once.status).toBe(200);
    expect(once.route).toMatch(/^tier=medium; profile=coder; backend=local; reason="default \\u2192 medium"$/);
    expect(api.received).toHaveLength(2);
  }, 60_000);

  it("keeps the same conversation local with routing.escalate_on_stall: false", async () => {
    proxy = await start("off.yaml");
    const generations = () => mlx.requests.filter((request) => request.path.startsWith("/v1/chat/completions")).length;
    const before = generations();
    const reply = await send(stalled(), "stuck-off");
    expect(reply.status).toBe(200);
    expect(reply.route).toMatch(/^tier=medium; profile=coder; backend=local; reason="default \\u2192 medium"$/);
    expect(generations()).toBe(before + 1);
    expect(api.received).toHaveLength(2);
  }, 60_000);
});
