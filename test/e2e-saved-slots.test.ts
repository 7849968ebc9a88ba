import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";
import { sessionFirstRequest, sessionUsage } from "./helpers/session-first-request.js";

/**
 * A slot's prompt cache written to a file and read back: the engine's `POST /slots/{id}?action=…`
 * (llama-server's requests and answers), and mallex restoring a real llama-server's warm-up from the
 * file its last start saved. Real processes, tiny real GGUFs.
 */
const MALLEX_BIN = fileURLToPath(new URL("../bin/mallex.js", import.meta.url));
const LLAMA_SERVER = fileURLToPath(new URL("../.cache/llama.cpp/build/bin/llama-server", import.meta.url));
const RANDOM = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
const built = existsSync(LLAMA_SERVER);
if (!built && process.env.CI) throw new Error(`${LLAMA_SERVER} is missing: .ci/run must run scripts/build-llama-server.sh first`);

interface Engine {
  url: string;
  stop(): Promise<void>;
}

async function startEngine(args: string[]): Promise<Engine> {
  const child: ResultPromise = execa("node", [MALLEX_BIN, "engine", "--model", RANDOM, "--port", "0", "--threads", "1", "--ctx-size", "2048", ...args], {
    env: { MALLEX_HOME: mkdtempSync(join(tmpdir(), "mallex-engine-")) },
    reject: false,
    stdin: "ignore",
    all: true,
  });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.all!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const listening = /server is listening on (http:\/\/\S+)\/v1/.exec(output);
      if (listening) resolve(listening[1]!);
    });
    void child.then(() => reject(new Error(`mallex engine exited:\n${output}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await child;
    },
  };
}

const post = async (url: string, body: unknown) => {
  const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
};

describeWithShared("the engine's slot files (llama-server's /slots actions)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mallex-slots-"));
  let engine: Engine;
  beforeAll(async () => {
    engine = await startEngine(["--slot-save-path", join(dir, "made-by-the-engine")]);
  });
  afterAll(() => engine?.stop());

  const ask = () =>
    post(`${engine.url}/v1/chat/completions`, {
      messages: [
        { role: "system", content: "You are a careful assistant. ".repeat(40) },
        { role: "user", content: "Hi" },
      ],
      max_tokens: 1,
      temperature: 0,
    });
  const slot = (id: string | number, action: string, body: unknown = {}) => post(`${engine.url}/slots/${id}?action=${action}`, body);

  it("saves a slot, erases it, restores it, and the same prompt then reads from the cache", async () => {
    const first = await ask();
    const prompt = (first.body.usage as { prompt_tokens: number }).prompt_tokens;
    const saved = await slot(0, "save", { filename: "prefix.bin" });
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ id_slot: 0, filename: "prefix.bin" });
    expect(saved.body.n_saved).toBeGreaterThanOrEqual(prompt);
    expect(saved.body.n_written).toBeGreaterThan(0);
    expect(readdirSync(join(dir, "made-by-the-engine"))).toEqual(["prefix.bin"]);

    expect((await slot(0, "erase")).body).toEqual({ id_slot: 0, n_erased: saved.body.n_saved });
    const cold = await ask();
    expect((cold.body.usage as { prompt_tokens_details: { cached_tokens: number } }).prompt_tokens_details.cached_tokens).toBe(0);

    await slot(0, "erase");
    const restored = await slot(0, "restore", { filename: "prefix.bin" });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ id_slot: 0, filename: "prefix.bin", n_restored: saved.body.n_saved, n_read: saved.body.n_written });
    const warm = await ask();
    // All but the last prompt token, which is evaluated again to give the first new one.
    expect((warm.body.usage as { prompt_tokens_details: { cached_tokens: number } }).prompt_tokens_details.cached_tokens).toBe(prompt - 1);
  });

  it("refuses what llama-server refuses, in OpenAI's error shape: a path for a name, a slot or an action it does not have, a file not there", async () => {
    for (const filename of ["../escape.bin", "a/b.bin", ".hidden", "", 42]) {
      const answer = await slot(0, "save", { filename });
      expect(answer.status, String(filename)).toBe(400);
      expect(answer.body).toMatchObject({ error: { type: "invalid_request_error", message: expect.stringContaining("Invalid filename") } });
    }
    expect(await slot(3, "save", { filename: "x.bin" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("Invalid slot ID: 3") } },
    });
    expect(await slot("x", "save", { filename: "x.bin" })).toMatchObject({ status: 400 });
    expect(await slot(0, "delete", { filename: "x.bin" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("Invalid action") } },
    });
    expect(await slot(0, "restore", { filename: "never-saved.bin" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringContaining("no file never-saved.bin") } },
    });
    // Nothing was written outside the folder.
    expect(existsSync(join(dir, "escape.bin"))).toBe(false);
  });

  it("answers 501 without --slot-save-path, as llama-server does", async () => {
    const plain = await startEngine([]);
    try {
      const answer = await post(`${plain.url}/slots/0?action=save`, { filename: "x.bin" });
      expect(answer).toMatchObject({ status: 501, body: { error: { type: "not_supported_error" } } });
    } finally {
      await plain.stop();
    }
  });
});

describeWithShared(
  "a real llama-server's warm-up saved, then restored at the next start (skipped until scripts/build-llama-server.sh has run)",
  () => {
    it("prefills the prefix once; the next start reads it from the file, and serves a new session's first request from it", async () => {
      const { home, config } = llamaHome(2);
      let warmed = 0;
      const cachedTokens = async (url: string, body: string) => (await sessionUsage(url, body)).cache_read_input_tokens;

      const first = await startProxyProcess(["--config", config], home);
      try {
        warmed = await cachedTokens(first.url, sessionFirstRequest("a"));
        // The system prompt and the tools (this profile's four): what a session's prompt begins with.
        expect(warmed).toBeGreaterThan(100);
        await expect.poll(() => first.output()).toMatch(/tiny: prompt cache saved for the next start \(\d+ tokens/);
        expect(first.output()).toContain(`--slot-save-path ${join(home, "prompt-cache")}`);
      } finally {
        await first.stop();
      }
      expect(readdirSync(join(home, "prompt-cache")).filter((name) => name.startsWith("tiny-") && name.endsWith(".bin"))).toHaveLength(1);

      const second = await startProxyProcess(["--config", config], home);
      try {
        // As much as the prefill served the session before: the same prefix, read from the file.
        expect(await cachedTokens(second.url, sessionFirstRequest("b"))).toBe(warmed);
        expect(second.output()).toMatch(/tiny: prompt cache restored with the system prompt and tools \(\d+ tokens, saved at an earlier start\)/);
        expect(second.output()).not.toContain("prompt cache warmed");
      } finally {
        await second.stop();
      }
    });

    it("with one slot, keeps the last conversation as it stops: a session continued at the next start reads its whole first prompt from the cache", async () => {
      const { home, config } = llamaHome(1);
      const opening = sessionFirstRequest("a");
      const first = await startProxyProcess(["--config", config], home);
      let prompt = 0;
      try {
        const usage = await sessionUsage(first.url, opening);
        prompt = usage.input_tokens + usage.cache_read_input_tokens;
      } finally {
        await first.stop();
      }
      expect(first.output()).toMatch(/tiny: the last conversation kept for the next start \(\d+ tokens, [\d.]+ MB\)/);

      const second = await startProxyProcess(["--config", config], home);
      try {
        const request = JSON.parse(opening) as { messages: unknown[]; [key: string]: unknown };
        request.messages.push({ role: "assistant", content: "4" }, { role: "user", content: "And 3+3?" });
        expect((await sessionUsage(second.url, JSON.stringify(request))).cache_read_input_tokens).toBeGreaterThanOrEqual(prompt);
        expect(second.output()).toMatch(/tiny: prompt cache restored with the last conversation \(\d+ tokens, kept when its server last stopped\)/);
      } finally {
        await second.stop();
      }
    });
  },
  describe.skipIf(!built),
);

/** A MALLEX_HOME whose config runs the tiny model on the real llama-server with `slots` slots. */
function llamaHome(slots: number): { home: string; config: string } {
  const home = mkdtempSync(join(tmpdir(), "mallex-llama-slots-"));
  const config = join(home, "mallex.yaml");
  writeFileSync(
    config,
    [
      "include: [mallex]",
      "backends:",
      "  llama:",
      "    supervise:",
      `      command: "${LLAMA_SERVER} -m {model} --host 127.0.0.1 --port {port} --jinja -c 16384 -np ${slots} -t 1"`,
      "profiles:",
      "  tiny:",
      "    backend: llama",
      `    model: ${RANDOM}`,
      "    size: small",
      "    context_window: 8192",
      "    input_budget: 6000",
      "    max_output_tokens: 1",
      "tiers:",
      "  low: { profile: tiny }",
      "  medium: { profile: tiny }",
      "",
    ].join("\n"),
  );
  return { home, config };
}
