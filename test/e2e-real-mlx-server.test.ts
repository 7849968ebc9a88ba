/**
 * `mallex proxy` (the built CLI, a real process) supervising the real mlx_lm.server from the model
 * kit, asked by the official Anthropic SDK: a text answer streamed as Anthropic SSE, the 0.5B
 * coder's tool call as a real tool_use block, the server's pidfile and its OpenBLAS start-up line,
 * a crash (kill -9) restarted on the next request, idle unload, and the server stopped on exit.
 * The backend's venv is the kit's (nothing is installed); the profile's model is its MLX folder.
 */
import Anthropic from "@anthropic-ai/sdk";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { readPidfiles, type ServerPidfile } from "../src/supervisor/processes/pidfile.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithModelKit, kit } from "./helpers/model-kit.js";
import { eventually, isLive, liveGroupMembers } from "./helpers/process-tree.js";
import { kitVenv, openBlasEnv } from "./helpers/real-mlx-server.js";

function writeConfig(idleUnloadMinutes: number): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-real-mlx-"));
  const file = join(dir, "mallex.yaml");
  writeFileSync(
    file,
    `backends:
  mlx:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: "{venv}/bin/mlx_lm.server --model {model} --host 127.0.0.1 --port {port}"
      venv: ${JSON.stringify(kitVenv())}
      install: []
      readiness: { probe: generate, timeout_s: 300 }
      idle_unload_minutes: ${idleUnloadMinutes}
      on_exit: stop
profiles:
  coder:
    backend: mlx
    model: ${JSON.stringify(kit().mlx_model)}
    size: small
    context_window: 8192
    max_output_tokens: 64
    tools: { mode: native }
    sampling: { temperature: 0 }
tiers:
  medium: { profile: coder }
routing:
  default_tier: medium
`,
  );
  return file;
}

const client = (proxy: MallexProxyProcess) => new Anthropic({ apiKey: "test-key", baseURL: proxy.url, maxRetries: 0, timeout: 300_000 });

function serverRecord(home: string): ServerPidfile | undefined {
  const entry = readPidfiles(home)[0];
  return entry && "record" in entry ? entry.record : undefined;
}

const WEATHER: Anthropic.Tool = {
  name: "get_weather",
  description: "Get the current weather for a city",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};

describeWithModelKit("mallex proxy → the real mlx_lm.server, supervised", () => {
  it("streams a text answer, turns the model's call into tool_use, restarts the server after kill -9, and stops it on exit", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // HF_HUB_OFFLINE: a mistake in the model path fails at once instead of asking the Hub.
    const proxy = await startProxyProcess(["--config", writeConfig(30)], home, { HF_HUB_OFFLINE: "1" });
    try {
      const stream = client(proxy).messages.stream({
        model: "claude-sonnet-4-6",
        max_tokens: 12,
        messages: [{ role: "user", content: "Say hello in three words." }],
      });
      const types: string[] = [];
      stream.on("streamEvent", (event) => types.push(event.type));
      const message = await stream.finalMessage();
      expect(types[0]).toBe("message_start");
      expect(types).toContain("content_block_delta");
      expect(types.at(-1)).toBe("message_stop");
      expect(message.content[0]).toMatchObject({ type: "text", text: expect.stringMatching(/\S/) });
      expect(message.usage.output_tokens).toBeGreaterThan(0);

      // The API's prompt-cache pre-warm (max_tokens 0), which the real server would refuse with a 400.
      const warm = await client(proxy).messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 0,
        messages: [{ role: "user", content: "Say hello in three words." }],
      });
      expect(warm).toMatchObject({ content: [], stop_reason: "max_tokens", usage: { output_tokens: 0 } });

      const record = serverRecord(home)!;
      expect(record.argv).toEqual([`${kitVenv()}/bin/mlx_lm.server`, "--model", kit().mlx_model, "--host", "127.0.0.1", "--port", String(record.port)]);
      const log = readFileSync(join(home, "server.log"), "utf8");
      const blas = openBlasEnv().LD_PRELOAD;
      if (blas) expect(log).toContain(`preloading the system OpenBLAS (${blas.split(":")[0]})`);
      else expect(log).toContain("no system OpenBLAS found");
      if (blas) expect(readFileSync(`/proc/${record.pid}/environ`, "utf8").split("\0")).toContain(`LD_PRELOAD=${blas}`);

      // The 0.5B coder writes the call as bare JSON content, which mallex's own parser reads (llama3-json's bare form).
      const call = await client(proxy).messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 64,
        tools: [WEATHER],
        messages: [{ role: "user", content: "What is the weather in Paris? Use the get_weather tool." }],
      });
      expect(call.stop_reason, JSON.stringify(call.content)).toBe("tool_use");
      expect(call.content.find((block) => block.type === "tool_use")).toMatchObject({
        type: "tool_use",
        name: "get_weather",
        input: { city: "Paris" },
        id: expect.stringMatching(/^toolu_/),
      });

      // A crash, and a request sent right after it, before mallex has seen the exit: the refused
      // connection waits for the exit to be handled, and the request is answered by the server
      // mallex starts again, on a new pid.
      process.kill(record.pid, "SIGKILL");
      const after = await client(proxy).messages.create({ model: "claude-sonnet-4-6", max_tokens: 4, messages: [{ role: "user", content: "Say hi." }] });
      expect(after.content[0]).toMatchObject({ type: "text" });
      expect(isLive(record.pid)).toBe(false);
      const restarted = serverRecord(home)!;
      expect(restarted.pid).not.toBe(record.pid);

      await proxy.stop();
      await eventually("the server's process group is gone after mallex exits", () => liveGroupMembers(restarted.pid).length === 0, 30_000);
      expect(readPidfiles(home)).toEqual([]);
    } finally {
      proxy.process.kill("SIGKILL");
    }
  }, 600_000);

  it("unloads the idle server and starts it again on the next request", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // 0.1 minutes: 6 s idle.
    const proxy = await startProxyProcess(["--config", writeConfig(0.1)], home, { HF_HUB_OFFLINE: "1" });
    try {
      const ask = () => client(proxy).messages.create({ model: "claude-sonnet-4-6", max_tokens: 3, messages: [{ role: "user", content: "Say hi." }] });
      await ask();
      const first = serverRecord(home)!;
      await eventually("the idle server is unloaded", () => !isLive(first.pid) && readPidfiles(home).length === 0, 60_000);
      expect(existsSync(join(home, "server.log"))).toBe(true);
      await ask();
      expect(serverRecord(home)!.pid).not.toBe(first.pid);
    } finally {
      await proxy.stop();
    }
  }, 600_000);
});
