import { describe, expect, it } from "vitest";
import { createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import type { AnthropicCustomTool, AnthropicMessage, AnthropicStopReason } from "../../src/translate/anthropic-types.js";
import { collectStreamMessage } from "../../src/translate/stream/collect-stream-message.js";
import { convertOpenAIResponse, type AnthropicResponseContext } from "../../src/translate/convert-openai-response.js";
import type { OpenAIChunk, OpenAIUsage } from "../../src/translate/openai-types.js";
import type { TranslatorInput } from "../../src/translate/stream/stream-types.js";
import { createAnthropicStreamTranslator } from "../../src/translate/stream/translate-openai-stream.js";
import { arrayToStream, baseOptions, createTestDeps, expectWellFormedStream, streamToArray, writeTool } from "../helpers/translate-helpers.js";

/**
 * Issue 49, item 1: an answer that mallex or the model server cut never ends `end_turn`. Each case
 * goes through the three ways an answer reaches a client — streamed (the stream translator),
 * collected from a stream for a client that asked for no stream (a request with stop_sequences), and
 * whole (the non-streamed converter) — with the same backend output, and must end with the same
 * truthful stop reason: `max_tokens` where a max_tokens ended it (the client's, or the one mallex
 * lowered: the profile's max_output_tokens, the small context's cap), `model_context_window_exceeded`
 * where the context filled.
 */
const schemaCache = createToolSchemaCache();

/** Claude Code's Bash tool, as much of it as a call is checked against. */
const bashTool: AnthropicCustomTool = {
  name: "Bash",
  description: "Executes a bash command.",
  input_schema: {
    type: "object",
    properties: { command: { type: "string" }, description: { type: "string" }, timeout: { type: "number" } },
    required: ["command"],
    additionalProperties: false,
  },
};

/** What the model server sent: text and/or one native call, the finish reason, the usage. */
interface BackendOutput {
  text?: string;
  call?: { name: string; arguments: string };
  finish: "length" | "stop" | "tool_calls";
  usage?: OpenAIUsage;
}

type Limits = Pick<AnthropicResponseContext, "outputCap" | "outputCapContext" | "maxTokens" | "contextWindow">;

function context(limits: Limits): AnthropicResponseContext {
  return {
    model: "claude-opus-4-8",
    tools: [writeTool, bashTool],
    options: { ...baseOptions, profileName: "tiny" },
    deps: createTestDeps(),
    schemaCache,
    ...limits,
  };
}

const chunk = (delta: Record<string, unknown>, finish: string | null = null): TranslatorInput => ({
  success: true,
  value: { choices: [{ index: 0, finish_reason: finish, delta: { role: "assistant", ...delta } }] } as OpenAIChunk,
});

/** The output as a server streams it: the text, the call's arguments in 5-character pieces, the finish, the usage chunk, [DONE]. */
function streamed(output: BackendOutput): TranslatorInput[] {
  const parts: TranslatorInput[] = [];
  if (output.text) parts.push(chunk({ content: output.text }));
  if (output.call) {
    const args = output.call.arguments;
    parts.push(chunk({ tool_calls: [{ index: 0, id: "call_1", type: "function", function: { name: output.call.name, arguments: "" } }] }));
    for (let at = 0; at < args.length; at += 5) parts.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(at, at + 5) } }] }));
  }
  parts.push(chunk({}, output.finish));
  if (output.usage) parts.push({ success: true, value: { choices: [], usage: output.usage } as OpenAIChunk });
  parts.push({ type: "done" });
  return parts;
}

/** The answer through each path, as the client sees it in the end. */
async function answers(output: BackendOutput, limits: Limits): Promise<Record<"streamed" | "collected" | "whole", AnthropicMessage>> {
  const events = await streamToArray(arrayToStream(streamed(output)).pipeThrough(createAnthropicStreamTranslator(context(limits))));
  expectWellFormedStream(events);
  const collected = collectStreamMessage(events);
  if (!collected.ok) throw new Error(collected.error.message);
  const whole = convertOpenAIResponse(
    {
      choices: [
        {
          index: 0,
          finish_reason: output.finish,
          message: {
            role: "assistant",
            content: output.text ?? null,
            ...(output.call ? { tool_calls: [{ id: "call_1", type: "function", function: output.call }] } : {}),
          },
        },
      ],
      ...(output.usage ? { usage: output.usage } : {}),
    },
    context(limits),
  );
  // The streaming client reads the stop reason in message_delta, and its SDK folds the blocks as collectStreamMessage does.
  const delta = events.find((event) => event.type === "message_delta");
  if (delta?.type !== "message_delta") throw new Error("no message_delta");
  return { streamed: { ...collected.message, stop_reason: delta.delta.stop_reason }, collected: collected.message, whole };
}

const usage = (prompt: number, completion: number): OpenAIUsage => ({
  prompt_tokens: prompt,
  completion_tokens: completion,
  total_tokens: prompt + completion,
});
const textOf = (message: AnthropicMessage) => message.content.map((block) => (block.type === "text" ? block.text : `<${block.type}>`)).join("|");
const PROFILE_CAP_NOTE = "\n\n[mallex: the answer was cut at 48 tokens, the local model's output limit (max_output_tokens of profile tiny in mallex.yaml)]";
const CONTEXT_CAP_NOTE =
  "\n\n[mallex: the answer was cut at 458 tokens, the local model's output limit (what leaves room for the next request in profile tiny's 1024-token context; a larger context raises it)]";

describe("an answer mallex or the server cut never ends end_turn (streamed, collected, whole)", () => {
  const cases: Array<{ name: string; output: BackendOutput; limits: Limits; stop: AnthropicStopReason; text: string | RegExp }> = [
    {
      name: "text cut by the profile's max_output_tokens (below the client's max_tokens): max_tokens, with the note saying where the cap is",
      output: { text: "Once upon a time", finish: "length", usage: usage(200, 48) },
      limits: { outputCap: 48, maxTokens: 48, contextWindow: 32768 },
      stop: "max_tokens",
      text: `Once upon a time${PROFILE_CAP_NOTE}`,
    },
    {
      name: "text cut by the small context's cap (1,024 tokens, 'write a very long story', 458 tokens out): max_tokens, with the note naming the context",
      output: { text: "Once upon a time", finish: "length", usage: usage(400, 458) },
      limits: { outputCap: 458, outputCapContext: 1024, maxTokens: 458, contextWindow: 1024 },
      stop: "max_tokens",
      text: `Once upon a time${CONTEXT_CAP_NOTE}`,
    },
    {
      name: "text cut by the profile's cap with no usage at all (a server that sends none): max_tokens",
      output: { text: "Once upon a time", finish: "length" },
      limits: { outputCap: 48, maxTokens: 48, contextWindow: 32768 },
      stop: "max_tokens",
      text: `Once upon a time${PROFILE_CAP_NOTE}`,
    },
    {
      name: "a Write call cut by the server's length finish under the profile's cap: max_tokens, the call shown as a note, never run",
      output: {
        text: "Writing it.",
        call: { name: "Write", arguments: '{"file_path": "/tmp/story.txt", "content": "Once upon a ti' },
        finish: "length",
        usage: usage(300, 48),
      },
      limits: { outputCap: 48, maxTokens: 48, contextWindow: 32768 },
      stop: "max_tokens",
      text: /^Writing it\.\|\[mallex: the model wrote a tool call that was not run: [^\]]+\]\nWrite \{"file_path": "\/tmp\/story\.txt", "content": "Once upon a ti\|\[mallex: the answer was cut at 48 tokens/,
    },
    {
      name: "a Bash call cut by the server's length finish under the small context's cap: max_tokens",
      output: { call: { name: "Bash", arguments: '{"command": "cat <<EOF > notes.md\\nline one\\nline' }, finish: "length", usage: usage(400, 458) },
      limits: { outputCap: 458, outputCapContext: 1024, maxTokens: 458, contextWindow: 1024 },
      stop: "max_tokens",
      text: /^\[mallex: the model wrote a tool call that was not run: [^\]]+\]\nBash \{"command": "cat <<EOF[^|]*\|\[mallex: the answer was cut at 458 tokens/,
    },
    {
      name: "a Bash call cut at the client's own max_tokens (no cap of mallex's): max_tokens, no cap note",
      output: { call: { name: "Bash", arguments: '{"command": "ls -l' }, finish: "length", usage: usage(300, 64) },
      limits: { maxTokens: 64, contextWindow: 32768 },
      stop: "max_tokens",
      text: /^\[mallex: the model wrote a tool call that was not run: [^\]]+\]\nBash \{"command": "ls -l$/,
    },
    {
      name: "the context filled (length well short of max_tokens): model_context_window_exceeded, not blamed on the cap",
      output: { text: "Once upon a time", finish: "length", usage: usage(900, 124) },
      limits: { outputCap: 458, outputCapContext: 1024, maxTokens: 458, contextWindow: 1024 },
      stop: "model_context_window_exceeded",
      text: "Once upon a time",
    },
    {
      name: "the context filled during a Write call: model_context_window_exceeded",
      output: { call: { name: "Write", arguments: '{"file_path": "/tmp/a.txt", "content": "ab' }, finish: "length", usage: usage(3000, 1096) },
      limits: { maxTokens: 1096, contextWindow: 4096 },
      stop: "model_context_window_exceeded",
      text: /^\[mallex: the model wrote a tool call that was not run: [^\]]+\]\nWrite \{"file_path": "\/tmp\/a\.txt", "content": "ab$/,
    },
  ];

  it.each(cases)("$name", async ({ output, limits, stop, text }) => {
    for (const [path, message] of Object.entries(await answers(output, limits))) {
      expect(message.stop_reason, path).toBe(stop);
      expect(
        message.content.some((block) => block.type === "tool_use"),
        path,
      ).toBe(false);
      if (typeof text === "string") expect(textOf(message), path).toBe(text);
      else expect(textOf(message), path).toMatch(text);
    }
  });

  it("a length finish never ends end_turn, whatever the cap, the usage and the context", async () => {
    const limitsSeen: Limits[] = [
      {},
      { maxTokens: 48 },
      { outputCap: 48, maxTokens: 48 },
      { outputCap: 48, maxTokens: 48, contextWindow: 4096 },
      { outputCap: 458, outputCapContext: 1024, maxTokens: 458, contextWindow: 1024 },
    ];
    for (const limits of limitsSeen) {
      for (const withUsage of [undefined, usage(100, 48), usage(100, 3), usage(1000, 48)]) {
        const output: BackendOutput = { text: "Once", finish: "length", ...(withUsage ? { usage: withUsage } : {}) };
        for (const [path, message] of Object.entries(await answers(output, limits))) {
          expect(["max_tokens", "model_context_window_exceeded"], `${path} ${JSON.stringify({ limits, withUsage })}`).toContain(message.stop_reason);
        }
      }
    }
  });

  it("an answer the model finished under the cap stays end_turn, with no note", async () => {
    for (const [path, message] of Object.entries(
      await answers({ text: "Four.", finish: "stop", usage: usage(200, 3) }, { outputCap: 48, maxTokens: 48, contextWindow: 32768 }),
    )) {
      expect(message.stop_reason, path).toBe("end_turn");
      expect(textOf(message), path).toBe("Four.");
    }
  });

  it("a whole call written before the cut still runs: tool_use (Claude Code runs it; the cut rest is shown as text)", async () => {
    const output: BackendOutput = { call: { name: "Bash", arguments: '{"command": "ls"}' }, text: undefined, finish: "length", usage: usage(200, 48) };
    for (const [path, message] of Object.entries(await answers(output, { outputCap: 48, maxTokens: 48, contextWindow: 32768 }))) {
      expect(message.stop_reason, path).toBe("tool_use");
      expect(
        message.content.find((block) => block.type === "tool_use"),
        path,
      ).toMatchObject({ name: "Bash", input: { command: "ls" } });
    }
  });
});
