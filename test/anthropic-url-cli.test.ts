/**
 * `mallex proxy --anthropic-url URL` as a real process: the config's Anthropic backend names the real
 * API, the flag sends it to a fake one on loopback instead, which gets the key from ANTHROPIC_API_KEY
 * and whose answer comes back. A URL that is not http(s) is a usage error, before anything listens.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeAnthropicApi, type FakeAnthropicApi } from "./fakes/fake-anthropic-api.js";
import { localAndClaudeConfig, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { runCli } from "./helpers/run-cli.js";

const KEY = "sk-ant-test-anthropic-url";
let api: FakeAnthropicApi;
let configPath: string;
let proxy: MallexProxyProcess | undefined;

beforeAll(async () => {
  api = await startFakeAnthropicApi();
  // An opus request goes to the default tier: Claude.
  const dir = writeTree({ "mallex.yaml": localAndClaudeConfig({ defaultTier: "high" }) });
  configPath = join(dir, "mallex.yaml");
}, 30_000);

afterAll(async () => {
  await proxy?.stop();
  await api?.close();
});

describe("mallex proxy --anthropic-url", () => {
  it("sends the Claude tier to that URL with the key, and the answer comes back", async () => {
    proxy = await startProxyProcess(["--config", configPath, "--anthropic-url", `${api.url}/`], undefined, { ANTHROPIC_API_KEY: KEY });
    const response = await fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 16, messages: [{ role: "user", content: "hello" }] }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ content: [{ type: "text", text: "from the fake claude" }] });
    expect(api.received).toEqual([
      expect.objectContaining({
        url: "/v1/messages",
        headers: expect.objectContaining({ "x-api-key": KEY }),
        body: expect.objectContaining({ model: "claude-sonnet-4-6" }),
      }),
    ]);
  }, 30_000);

  it.each(["ftp://example.com", "api.anthropic.com", "http://"])(
    "refuses %s with a usage error (proxy and run)",
    async (url) => {
      for (const command of ["proxy", "run"]) {
        const result = await runCli([command, "--config", configPath, "--anthropic-url", url], { env: { MALLEX_HOME: join(configPath, "..", "home") } });
        expect(result.exitCode).toBe(2);
        expect(result.stderr).toContain(`--anthropic-url must be an http(s) URL (e.g. https://api.anthropic.com), got "${url}"`);
      }
    },
    30_000,
  );
});
