import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSSE } from "./fakes/read-sse.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";
import { fixture } from "./helpers/test-proxy.js";
import { inConfigFile } from "../src/shared/in-config-file.js";

/**
 * mallex against a real model server: llama.cpp's llama-server (built by
 * scripts/build-llama-server.sh, which .ci/run runs) with a tiny real GGUF model from ../shared/models,
 * supervised by `mallex proxy`. Real tokens, real usage numbers, a real prefix cache.
 */
const LLAMA_SERVER = fileURLToPath(new URL("../.cache/llama.cpp/build/bin/llama-server", import.meta.url));
const MODEL = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
// The ChatML template's markers are not tokens of this tiny vocabulary, so llama-server cannot build a
// grammar that starts with them; llama2's template adds no generation prompt, so grammars work.
const PLAIN_MODEL = sharedPath("models", "llama-2-tiny-random.gguf");
const built = existsSync(LLAMA_SERVER);
if (!built && process.env.CI) throw new Error(`${LLAMA_SERVER} is missing: .ci/run must run scripts/build-llama-server.sh first`);

type Event = { type: string; [key: string]: unknown };
type Usage = { input_tokens: number; output_tokens: number; cache_read_input_tokens: number };
const messageDelta = (events: Event[]) => events.find((e) => e.type === "message_delta") as unknown as { delta: { stop_reason: string }; usage: Usage };

describeWithShared(
  "mallex with a real llama-server (skipped until scripts/build-llama-server.sh has run)",
  () => {
    let proxy: MallexProxyProcess;
    let configFile: string;
    beforeAll(async () => {
      const dir = mkdtempSync(join(tmpdir(), "mallex-llama-"));
      const config = join(dir, "mallex.yaml");
      configFile = config;
      writeFileSync(
        config,
        [
          "include: [mallex]",
          "backends:",
          "  llama:",
          "    supervise:",
          `      command: "${LLAMA_SERVER} -m {model} --host 127.0.0.1 --port {port} --jinja -c 8192 -t 1"`,
          "  llama-plain:",
          "    kind: openai",
          "    flavor: llama-server",
          "    supervise:",
          `      command: "${LLAMA_SERVER} -m {model} --host 127.0.0.1 --port {port} --jinja --chat-template llama2 -c 4096 -t 1"`,
          "      readiness: { probe: health }",
          "profiles:",
          "  tiny:",
          "    backend: llama",
          `    model: ${MODEL}`,
          "    size: small",
          "    context_window: 8192",
          "    input_budget: 6000",
          "    max_output_tokens: 16",
          "    sampling: { temperature: 0 }",
          // A longer cap for the answers the server constrains: a random-weight model only ends them
          // because the grammar makes it.
          "  tiny-constrained:",
          "    backend: llama-plain",
          `    model: ${PLAIN_MODEL}`,
          "    size: small",
          "    context_window: 8192",
          "    input_budget: 6000",
          "    max_output_tokens: 64",
          "    sampling: { temperature: 0 }",
          "    aliases: [tiny-constrained]",
          "tiers:",
          "  low: { profile: tiny }",
          "  medium: { profile: tiny }",
          "",
        ].join("\n"),
      );
      proxy = await startProxyProcess(["--config", config]);
    });
    afterAll(() => proxy?.stop());

    const post = async (path: string, body: unknown) =>
      fetch(`${proxy.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const events = async (response: Response): Promise<Event[]> =>
      parseSSE(await response.text())
        .filter((e) => e.comment === undefined)
        .map((e) => JSON.parse(e.data) as Event);

    it("streams Claude Code's real 2+2 request through the model as Anthropic events with real usage", async () => {
      const request = fixture("main-request-2plus2.json");
      const first = await events(await post("/v1/messages?beta=true", request));
      expect(first[0]!.type).toBe("message_start");
      expect(first.at(-1)).toEqual({ type: "message_stop" });
      const text = first
        .filter((e) => e.type === "content_block_delta")
        .map((e) => (e.delta as { text: string }).text)
        .join("");
      expect(text.length).toBeGreaterThan(0);
      const delta = messageDelta(first);
      // A random-weight model rambles until the profile's cap (16, far below Claude Code's max_tokens):
      // the answer is cut, so it ends max_tokens, and says where the limit is (Claude Code's own message
      // names its 64000-token limit).
      expect(delta.delta.stop_reason).toBe("max_tokens");
      // It names the file the setting is in (its path, not "mallex.yaml": the shipped one, the user's, a project's).
      expect(
        text.endsWith(
          `\n\n[mallex: the answer was cut at 16 tokens, the local model's output limit (max_output_tokens of profile tiny ${inConfigFile({ path: configFile, shipped: false })})]`,
        ),
      ).toBe(true);
      expect(delta.usage.output_tokens).toBe(16);
      // The trimmed prompt, tokenized by the real model: part of it may already be in the server's cache.
      expect(delta.usage.input_tokens + (delta.usage.cache_read_input_tokens ?? 0)).toBeGreaterThan(300);

      // The next turn starts with the previous one's bytes, so the real prefix cache serves most of it.
      const followUp = {
        ...request,
        messages: [...(request.messages as unknown[]), { role: "assistant", content: [{ type: "text", text }] }, { role: "user", content: "and 3+3?" }],
      };
      const second = await events(await post("/v1/messages?beta=true", followUp));
      const usage = messageDelta(second).usage;
      expect(usage.cache_read_input_tokens).toBeGreaterThan(delta.usage.input_tokens * 0.8);
      // The log line reaches this process through the proxy's stderr pipe, which may lag the response.
      await expect.poll(() => proxy.output()).toMatch(/→ tiny \(default → medium\) · \d+ → \d+ chars \(−9\d%\) .* prompt \d+ tok \([1-9]\d* cached\)/);
      // The log says who cut the answer, too.
      expect(proxy.output()).toContain(
        ` · cut at 16 tokens by max_output_tokens of profile tiny ${inConfigFile({ path: configFile, shipped: false })} · stop max_tokens`,
      );
    });

    const textOf = (all: Event[]) =>
      all
        .filter((e) => e.type === "content_block_delta" && (e.delta as { type: string }).type === "text_delta")
        .map((e) => (e.delta as { text: string }).text)
        .join("");

    it("has the server constrain a JSON answer (output_config.format, as in Claude Code's title request)", async () => {
      const schema = { type: "object", properties: { title: { type: "string", maxLength: 12 } }, required: ["title"], additionalProperties: false };
      const answer = await events(
        await post("/v1/messages", {
          model: "tiny-constrained",
          max_tokens: 1000,
          stream: true,
          system: "Write a short title for this session.",
          messages: [{ role: "user", content: "what is 2+2" }],
          output_config: { format: { type: "json_schema", schema } },
        }),
      );
      const value = JSON.parse(textOf(answer)) as { title: string };
      expect(Object.keys(value)).toEqual(["title"]);
      expect(value.title.length).toBeLessThanOrEqual(12);
      expect(messageDelta(answer).delta.stop_reason).toBe("end_turn");
    });

    it("counts tokens with the model's own tokenizer", async () => {
      const counted = (await (
        await post("/v1/messages/count_tokens", { model: "claude-opus-4-8", messages: [{ role: "user", content: "what is 2+2" }] })
      ).json()) as { input_tokens: number };
      expect(counted.input_tokens).toBeGreaterThan(0);
      expect(counted.input_tokens).toBeLessThan(100);
    });
  },
  describe.skipIf(!built),
);
