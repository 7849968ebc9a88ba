/**
 * A model put on a tier from the Models page while mallex runs its own engine (no --backend-url): the
 * next request starts an engine on the new model and is answered by it, the engine of the old one
 * untouched. Real tiny GGUFs from ../shared/models, on the CPU.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const TOKEN = "models-page-embedded-token-42";

describeWithShared("a tier changed on the Models page, served by mallex's own engine", () => {
  let proxy: MallexProxyProcess;
  let home: string;
  let random: string;

  const post = (path: string, body: unknown) =>
    fetch(`${proxy.url}${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const ask = () =>
    fetch(`${proxy.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": TOKEN, "content-type": "application/json", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: "claude-sonnet-4-6", max_tokens: 8, messages: [{ role: "user", content: "Once upon a time" }] }),
    });

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), "mallex-models-engine-"));
    random = join(home, "models", "llama-2-tiny-random-chatml.gguf");
    mkdirSync(join(home, "models"));
    copyFileSync(sharedPath("models", "llama-2-tiny-random-chatml.gguf"), random);
    writeFileSync(
      join(home, "mallex.yaml"),
      `server: { auth_token: "${TOKEN}" }
backends:
  embedded:
    kind: openai
    flavor: embedded
    supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}", readiness: { probe: generate, timeout_s: 120 } }
profiles:
  stories:
    backend: embedded
    model: ${sharedPath("models", "stories260K-chatml.gguf")}
    size: small
    engine: { threads: 1 }
tiers:
  medium: { profile: stories }   # the one it starts with
`,
    );
    proxy = await startProxyProcess([], home, { HOME: home, HF_HOME: join(home, "hf") });
  });
  afterAll(async () => {
    await proxy?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("plans and writes the change, and the next request starts the new model's engine and is answered by it", async () => {
    const first = await ask();
    expect(first.status, await first.clone().text()).toBe(200);
    expect(first.headers.get("x-mallex-route")).toMatch(/ profile=stories;/);

    const planned = (await (await post("/ui/api/models/tier/plan", { tier: "medium", model: random })).json()) as {
      hash: string;
      newText: string;
      profile: string;
    };
    expect(planned.profile).toBe("llama-2-tiny-random-chatml");
    const applied = await post("/ui/api/models/tier/apply", { hash: planned.hash, newText: planned.newText });
    expect(await applied.json()).toMatchObject({ served: true, tiers: { medium: "llama-2-tiny-random-chatml" }, notes: [] });
    expect(readFileSync(join(home, "mallex.yaml"), "utf8")).toContain("  medium: { profile: llama-2-tiny-random-chatml }   # the one it starts with\n");

    const next = await ask();
    expect(next.status, await next.clone().text()).toBe(200);
    expect(next.headers.get("x-mallex-route")).toMatch(/ profile=llama-2-tiny-random-chatml;/);
    // Two engines now: the first one's, as it was planned and started (a config change plans no engine again), and the new model's.
    const servers = (await (await fetch(`${proxy.url}/ui/api/snapshot`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
      servers: Array<{ key: string; state: string }>;
    };
    // Keys start with the model's path, whose order is the checkout's and the temp dir's: compared unordered.
    const keys = servers.servers.map((server) => server.key);
    expect(keys).toHaveLength(2);
    expect(keys).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^embedded--\S*llama-2-tiny-random-chatml\.gguf--c\d+$/),
        expect.stringMatching(/^embedded--\S*stories260K-chatml\.gguf--t1-c\d+-np1$/),
      ]),
    );
  }, 240_000);
});
