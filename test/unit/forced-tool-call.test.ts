import { describe, expect, it } from "vitest";
import { serverFeaturesOf } from "../../src/backends/server-features.js";
import { keepForcedCall, type ForcedCall } from "../../src/pipeline/answer-checks/keep-forced-call.js";
import type { OpenAIChatRequest } from "../../src/translate/openai-types.js";
import type { AnthropicMessage } from "../../src/translate/anthropic-types.js";
import { enforcedCallMissing, unenforcedForcedChoice } from "../../src/translate/tool-calls/forced-tool-call.js";
import { assistantMessage } from "../helpers/assistant-message.js";

const any = { type: "any" } as const;
const named = { type: "tool", name: "Read" } as const;

describe("unenforcedForcedChoice: which forced calls mallex has to check itself", () => {
  it.each([
    ["vllm", any, false],
    ["vllm", named, false],
    ["embedded", any, false],
    ["embedded", named, false],
    // llama-server takes only "required": a named tool is enforced by offering it alone.
    ["llama-server", any, false],
    ["llama-server", named, false],
    ["mlx-lm", any, true],
    ["mlx-lm", named, true],
    ["ollama", named, true],
    ["lmstudio", any, true],
    ["exo", named, true],
    ["generic", any, true],
  ] as const)("%s, tool_choice %o: checked by mallex %s", (flavor, choice, checked) => {
    expect(unenforcedForcedChoice(choice, serverFeaturesOf(flavor), "native") !== undefined).toBe(checked);
  });

  it("xml mode is checked on every server (the tools are only in the prompt); auto and none never are", () => {
    expect(unenforcedForcedChoice(named, serverFeaturesOf("vllm"), "xml")).toEqual(named);
    expect(unenforcedForcedChoice({ type: "auto" }, serverFeaturesOf("mlx-lm"), "native")).toBeUndefined();
    expect(unenforcedForcedChoice({ type: "none" }, serverFeaturesOf("mlx-lm"), "xml")).toBeUndefined();
    expect(unenforcedForcedChoice(undefined, serverFeaturesOf("mlx-lm"), "native")).toBeUndefined();
  });
});

const message = assistantMessage;
const talk = (text: string) => message([{ type: "text", text }]);
const read = message([{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "/a" } }], "tool_use");

const forced = (retries: number): ForcedCall => ({
  choice: named,
  upstreamRequest: { messages: [{ role: "user", content: "read /a" }], max_tokens: 100, stream: false },
  offeredTools: [{ name: "Read", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
  retries,
  where: { profile: "p", flavor: "mlx-lm" },
});

/** An ask that answers from a list, recording the requests it was given. */
function scripted(answers: AnthropicMessage[]) {
  const bodies: Array<{ messages: Array<{ role: string; content: string }> }> = [];
  const ask = async (request: OpenAIChatRequest) => {
    bodies.push(request as unknown as { messages: Array<{ role: string; content: string }> });
    const answer = answers.shift();
    if (answer === undefined) throw new Error("asked more often than scripted");
    return answer;
  };
  return { ask, bodies };
}

describe("keepForcedCall", () => {
  it("asks at most `retries` more times, each with the first request plus the last wrong answer", async () => {
    const { ask, bodies } = scripted([talk("second"), talk("third")]);
    const lines: string[] = [];
    const outcome = await keepForcedCall(talk("first"), forced(2), ask, (line) => lines.push(line));
    expect(outcome).toEqual({
      ok: false,
      message:
        'tool_choice tool requires a call to the tool "Read", and the model of profile p made none in 3 attempts (last: the reply did not call "Read"). ' +
        "Its mlx-lm server cannot enforce tool_choice; a profile on llama-server, vLLM or the embedded engine can, or raise tools.forced_call_retries.",
    });
    expect(bodies.map((body) => body.messages.map((m) => m.role))).toEqual([
      ["user", "assistant", "user"],
      ["user", "assistant", "user"],
    ]);
    expect(bodies.map((body) => body.messages[1]!.content)).toEqual(["first", "second"]);
    expect(lines).toEqual([
      'forced tool call asked again (2 of 3): the reply did not call "Read"',
      'forced tool call asked again (3 of 3): the reply did not call "Read"',
    ]);
  });

  it("stops at the first answer that makes the call", async () => {
    const { ask, bodies } = scripted([read]);
    expect(await keepForcedCall(talk("no"), forced(5), ask, () => {})).toEqual({ ok: true, message: read });
    expect(bodies).toHaveLength(1);
    expect(await keepForcedCall(read, forced(5), ask, () => {})).toEqual({ ok: true, message: read });
  });

  it("says when the last answer was cut at max_tokens (a bigger max_tokens may be what it needs)", async () => {
    const outcome = await keepForcedCall(message([{ type: "text", text: "long…" }], "max_tokens"), forced(0), scripted([]).ask, () => {});
    expect(outcome.ok).toBe(false);
    expect(!outcome.ok && outcome.message).toContain('made none in 1 attempt (last: the reply did not call "Read", cut at max_tokens)');
  });
});

describe("enforcedCallMissing: an enforcing server's answer still checked for the call", () => {
  const where = { profile: "p", flavor: "llama-server" };
  it("passes the call asked for, and a cut answer (the API's own max_tokens or full context)", () => {
    expect(enforcedCallMissing(any, ["Write"], "tool_use", where)).toBeUndefined();
    expect(enforcedCallMissing(named, ["Write", "Read"], "tool_use", where)).toBeUndefined();
    expect(enforcedCallMissing(named, [], "max_tokens", where)).toBeUndefined();
    expect(enforcedCallMissing(any, [], "model_context_window_exceeded", where)).toBeUndefined();
  });
  it("names what is missing otherwise", () => {
    expect(enforcedCallMissing(named, ["Write"], "tool_use", where)).toBe(
      'tool_choice tool requires a call to the tool "Read", and the model of profile p ended its answer (tool_use) without one, although its llama-server server was asked to enforce it.',
    );
    expect(enforcedCallMissing(any, [], "end_turn", where)).toMatch(/^tool_choice any requires a tool call, .* \(end_turn\) without one/);
  });
});
