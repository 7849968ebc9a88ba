import { describe, expect, it } from "vitest";
import { serverFeaturesOf } from "../../src/backends/server-features.js";
import { planUnknownCallRetry, retryUnknownCalls, type UnknownCallRetry } from "../../src/pipeline/answer-checks/retry-unknown-calls.js";
import type { AnthropicCustomTool, AnthropicMessage, MessagesRequest } from "../../src/translate/anthropic-types.js";
import type { OpenAIChatRequest } from "../../src/translate/openai-types.js";
import { unknownCallProblem, unknownCallRetryRequest } from "../../src/translate/tool-calls/unknown-tool-call.js";
import { assistantMessage } from "../helpers/assistant-message.js";

const tool = (name: string): AnthropicCustomTool => ({ name, input_schema: { type: "object", properties: {} } });
const TOOLS = [tool("Bash"), tool("Edit"), tool("Read")];
const TO_ROMAN = '```json\n{\n  "name": "to_roman",\n  "arguments": {"number": 19}\n}\n```';

const message = assistantMessage;
const talk = (text: string, stop?: AnthropicMessage["stop_reason"]) => message([{ type: "text", text }], stop);
const read = message([{ type: "tool_use", id: "toolu_1", name: "Read", input: { file_path: "roman.py" } }], "tool_use");

const first: OpenAIChatRequest = {
  messages: [{ role: "user", content: "Implement `to_roman` in roman.py as its docstring says." }],
  tools: TOOLS.map((t) => ({ type: "function", function: { name: t.name, parameters: t.input_schema } })),
  max_tokens: 100,
  stream: false,
};

describe("unknownCallProblem: which answers are asked again", () => {
  it("an answer that makes no call and writes one to a tool that is not offered, naming the tools there are", () => {
    expect(unknownCallProblem(talk(TO_ROMAN), TOOLS)).toBe("to_roman is not a tool you can call; the tools are: Bash, Edit, Read");
    const two = talk('{"name": "Create", "arguments": {}}\n{"name": "to_roman", "arguments": {}}');
    expect(unknownCallProblem(two, TOOLS)).toBe("Create, to_roman are not tools you can call; the tools are: Bash, Edit, Read");
  });

  it("not an answer in words, one with a call, one that calls a known tool in text, nor a cut one", () => {
    expect(unknownCallProblem(talk("19 is XIX."), TOOLS)).toBeUndefined();
    expect(unknownCallProblem(talk("```python\nprint(to_roman(19))\n```"), TOOLS)).toBeUndefined();
    expect(unknownCallProblem(message([...talk(TO_ROMAN).content, ...read.content], "tool_use"), TOOLS)).toBeUndefined();
    expect(unknownCallProblem(talk('```json\n{"name": "Read", "arguments": {}}\n```\nThen I will edit it.'), TOOLS)).toBeUndefined();
    expect(unknownCallProblem(talk(TO_ROMAN, "max_tokens"), TOOLS)).toBeUndefined();
    expect(unknownCallProblem(talk(TO_ROMAN, "model_context_window_exceeded"), TOOLS)).toBeUndefined();
  });
});

describe("unknownCallRetryRequest", () => {
  const problem = "to_roman is not a tool you can call; the tools are: Bash, Edit, Read";

  it("asks in a reminder alone where the server does not enforce tool_choice", () => {
    const retry = unknownCallRetryRequest(first, talk(TO_ROMAN), problem, false);
    expect(retry.tools).toEqual(first.tools);
    expect(retry.tool_choice).toBeUndefined();
    expect(retry.messages.slice(0, 1)).toEqual(first.messages);
    expect(retry.messages[1]).toEqual({ role: "assistant", content: TO_ROMAN });
    expect(retry.messages[2]!.role).toBe("user");
    expect(retry.messages[2]!.content).toContain(
      `Your previous reply was not accepted: ${problem}. Call one of these to go on with the task, or answer in words if it needs no tool.`,
    );
  });

  it("holds the retry to a call of one of the client's tools, as they were, where the server enforces tool_choice", () => {
    const retry = unknownCallRetryRequest(first, talk(TO_ROMAN), problem, true);
    expect(retry.tool_choice).toBe("required");
    expect(retry.tools).toEqual(first.tools);
    expect(retry.messages[2]!.content).toContain(`Your previous reply was not accepted: ${problem}. Call one of these to go on with the task.`);
    expect(retry.messages[2]!.content).not.toContain("answer in words");
  });
});

describe("planUnknownCallRetry (tools.retry_unknown_calls)", () => {
  const request = (extra: Partial<MessagesRequest> = {}): MessagesRequest => ({
    model: "m",
    max_tokens: 100,
    messages: [{ role: "user", content: "hi" }],
    tools: TOOLS,
    ...extra,
  });
  const profile = { retryUnknownCalls: true, forcedCallRetries: 2 };
  const native = (flavor: Parameters<typeof serverFeaturesOf>[0]) => ({ toolMode: "native" as const, serverFeatures: serverFeaturesOf(flavor) });

  it("applies where the model may answer in words or a call; held to a call where the server enforces tool_choice", () => {
    expect(planUnknownCallRetry(profile, request(), TOOLS, native("mlx-lm"))).toEqual({ offeredTools: TOOLS, retries: 2, enforced: false });
    expect(planUnknownCallRetry(profile, request({ tool_choice: { type: "auto" } }), TOOLS, native("llama-server"))?.enforced).toBe(true);
    expect(planUnknownCallRetry(profile, request(), TOOLS, native("embedded"))?.enforced).toBe(true);
    expect(planUnknownCallRetry(profile, request(), TOOLS, native("vllm"))?.enforced).toBe(true);
    // The tools are in the prompt in xml mode: no server can be held to a call there.
    expect(planUnknownCallRetry(profile, request(), TOOLS, { toolMode: "xml", serverFeatures: serverFeaturesOf("llama-server") })?.enforced).toBe(false);
    // A client's own tool named Reply is one of its tools like any other.
    expect(planUnknownCallRetry(profile, request(), [...TOOLS, tool("Reply")], native("llama-server"))?.enforced).toBe(true);
  });

  it("leaves alone a profile without it or without retries, a request without tools, the client's own choice and a JSON answer", () => {
    expect(planUnknownCallRetry({ forcedCallRetries: 2 }, request(), TOOLS, native("mlx-lm"))).toBeUndefined();
    expect(planUnknownCallRetry({ ...profile, forcedCallRetries: 0 }, request(), TOOLS, native("mlx-lm"))).toBeUndefined();
    expect(planUnknownCallRetry(profile, request({ tools: [] }), [], native("mlx-lm"))).toBeUndefined();
    for (const choice of [{ type: "none" }, { type: "any" }, { type: "tool", name: "Read" }] as const)
      expect(planUnknownCallRetry(profile, request({ tool_choice: choice }), TOOLS, native("mlx-lm"))).toBeUndefined();
    const json = request({ output_config: { format: { type: "json_schema", schema: { type: "object" } } } });
    expect(planUnknownCallRetry(profile, json, TOOLS, native("mlx-lm"))).toBeUndefined();
  });
});

/** An ask that answers from a list, recording the requests it was given. */
function scripted(answers: AnthropicMessage[]) {
  const bodies: OpenAIChatRequest[] = [];
  const ask = async (request: OpenAIChatRequest) => {
    bodies.push(request);
    const answer = answers.shift();
    if (answer === undefined) throw new Error("asked more often than scripted");
    return answer;
  };
  return { ask, bodies };
}

describe("retryUnknownCalls", () => {
  const retry = (retries: number, enforced = false): UnknownCallRetry => ({ upstreamRequest: first, offeredTools: TOOLS, retries, enforced });

  it("asks again until an answer calls a tool it may, each retry the first request plus the last answer", async () => {
    const { ask, bodies } = scripted([talk('{"name": "Create", "arguments": {}}'), read]);
    const lines: string[] = [];
    expect(await retryUnknownCalls(talk(TO_ROMAN), retry(2), ask, (line) => lines.push(line))).toEqual(read);
    expect(bodies.map((body) => body.messages.length)).toEqual([3, 3]);
    expect(bodies.map((body) => body.messages[1]!.content)).toEqual([TO_ROMAN, '{"name": "Create", "arguments": {}}']);
    expect(lines).toEqual([
      "unknown tool call asked again (2 of 3): to_roman is not a tool you can call; the tools are: Bash, Edit, Read",
      "unknown tool call asked again (3 of 3): Create is not a tool you can call; the tools are: Bash, Edit, Read",
    ]);
  });

  it("takes an answer in words as it is, first or on a retry; the last answer goes through whatever it is", async () => {
    const words = talk("19 is XIX.");
    const none = scripted([]);
    expect(await retryUnknownCalls(words, retry(2), none.ask, () => {})).toEqual(words);
    expect(none.bodies).toHaveLength(0);
    expect(await retryUnknownCalls(talk(TO_ROMAN), retry(2), scripted([words]).ask, () => {})).toEqual(words);
    const stubborn = talk('{"name": "to_roman", "arguments": {"number": 4}}');
    const { ask, bodies } = scripted([stubborn]);
    expect(await retryUnknownCalls(talk(TO_ROMAN), retry(1), ask, () => {})).toEqual(stubborn);
    expect(bodies).toHaveLength(1);
  });

  it("sends tool_choice required, with the client's tools alone, on each retry where the server enforces it", async () => {
    const { ask, bodies } = scripted([read]);
    await retryUnknownCalls(talk(TO_ROMAN), retry(2, true), ask, () => {});
    expect(bodies[0]!.tool_choice).toBe("required");
    expect(bodies[0]!.tools?.map((t) => t.function.name)).toEqual(["Bash", "Edit", "Read"]);
  });
});
