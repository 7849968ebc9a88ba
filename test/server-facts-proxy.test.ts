import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { llamaServerProps, startFactsServer, type FakeFactsServer } from "./fakes/fake-facts-servers.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

/**
 * A server that holds less than its profile declares, read by the real `mallex proxy` process before it
 * listens: the profile's window and prompt budget follow the server, /v1/models and the route header
 * say so, a prompt over it is refused as "prompt is too long" before it reaches the server, and a
 * refusal the server makes itself reads the same — in the answer and in the request's summary (the
 * dashboard, `mallex status`, `mallex eval`'s "why"), never as its bare status.
 */
describe("mallex proxy fitted to what its server holds", () => {
  let server: FakeFactsServer;
  let proxy: MallexProxyProcess;
  let refuse = false;
  beforeAll(async () => {
    // A llama-server started with -c 8192 -np 2: 4,096 tokens per slot.
    server = await startFactsServer((request) => {
      const path = request.path.split("?")[0];
      if (request.method === "GET" && path === "/props") return { body: llamaServerProps({ nCtx: 4096, totalSlots: 2, modelPath: "/models/tiny.gguf" }) };
      if (request.method !== "POST" || path !== "/v1/chat/completions") return undefined;
      if (refuse)
        return {
          status: 400,
          body: {
            error: {
              code: 400,
              message: "request (5120 tokens) exceeds the available context size (4096 tokens), try increasing it",
              type: "exceed_context_size_error",
              n_prompt_tokens: 5120,
              n_ctx: 4096,
            },
          },
        };
      return {
        body: {
          id: "c1",
          object: "chat.completion",
          created: 1,
          model: "tiny",
          choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "4" } }],
          usage: { prompt_tokens: 30, completion_tokens: 1, total_tokens: 31 },
        },
      };
    });
    const dir = mkdtempSync(join(tmpdir(), "mallex-facts-"));
    const config = join(dir, "mallex.yaml");
    writeFileSync(
      config,
      [
        "include: [mallex]",
        "backends:",
        "  ext:",
        "    kind: openai",
        "    flavor: llama-server",
        `    base_url: ${server.url}`,
        "profiles:",
        "  tiny:",
        "    backend: ext",
        "    model: tiny",
        "    size: small",
        "    context_window: 32768",
        "    input_budget: 20000",
        "    max_output_tokens: 256",
        "tiers:",
        "  low: { profile: tiny }",
        "  medium: { profile: tiny }",
        "",
      ].join("\n"),
    );
    proxy = await startProxyProcess(["--config", config]);
  });
  afterAll(async () => {
    await proxy?.stop();
    await server?.close();
  });

  /** The newest request summary's error, as the dashboard and `mallex status` read it. */
  const lastError = async () => {
    const snapshot = (await (await fetch(`${proxy.url}/ui/api/snapshot`)).json()) as { requests: Array<{ error?: string }> };
    return snapshot.requests.at(-1)?.error;
  };
  const post = (body: unknown) =>
    fetch(`${proxy.url}/v1/messages`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  it("reads the server before listening: /v1/models reports its 4,096 tokens, and the log says the declared window was lowered", async () => {
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toContain("GET /props");
    const model = (await (await fetch(`${proxy.url}/v1/models/tiny`)).json()) as { max_input_tokens: number };
    expect(model.max_input_tokens).toBe(4096);
    expect(proxy.output()).toContain(
      "profile tiny: context_window 32768 lowered to 4096 tokens, what its server holds (llama-server GET /props); prompt budget 3072",
    );
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toContain('mallex_profile_context_tokens{profile="tiny"} 4096');
    expect(metrics).toContain('mallex_profile_prompt_budget_tokens{profile="tiny"} 3072');
  });

  it("trims to the server's context: a prompt over it is refused as the API's 'prompt is too long' without reaching the server", async () => {
    const before = server.requests.length;
    const response = await post({ model: "tiny", max_tokens: 100, messages: [{ role: "user", content: "word ".repeat(20_000) }] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { type: string; message: string } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.message).toMatch(/^prompt is too long: \d+ tokens > 3072 maximum/);
    expect(server.requests.length).toBe(before);
    await expect.poll(lastError).toMatch(/^prompt is too long: \d+ tokens > 3072 maximum/);
  });

  it("a prompt the server itself refuses for its context is 'prompt is too long' too, never the server's 400 passed on", async () => {
    refuse = true;
    try {
      const response = await post({ model: "tiny", max_tokens: 100, messages: [{ role: "user", content: "what is 2+2" }] });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; message: string } };
      expect(body.error).toMatchObject({ type: "invalid_request_error" });
      expect(body.error.message).toMatch(/^prompt is too long: 5120 tokens > 4096 maximum for the context of the model server behind backend ext/);
      await expect.poll(lastError).toMatch(/^prompt is too long: 5120 tokens > 4096 maximum/);
    } finally {
      refuse = false;
    }
  });
});
