/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/anthropic`) against `mallex proxy --backend-url`, as an app
 * built on it would use mallex: streamText with its own tools, run by the SDK over several steps,
 * and a forced toolChoice on a server (mlx-lm) that cannot enforce one: kept by asking again, and
 * when the model never makes the call, an APICallError naming the tool (never an answer without the
 * call, which the SDK would throw as AI_ToolChoiceViolationError).
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { APICallError, generateText, jsonSchema, RetryError, stepCountIs, streamText, tool } from "ai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

let mlx: FakeMlxServer;
let proxy: MallexProxyProcess;
beforeAll(async () => {
  mlx = await createFakeMlxServer();
  proxy = await startProxyProcess(["--backend-url", mlx.url]);
}, 30_000);
afterAll(async () => {
  await proxy?.stop();
  await mlx?.close();
});

const lookups: number[] = [];
const tools = {
  lookup_ticket: tool({
    description: "Looks up a support ticket by its number.",
    inputSchema: jsonSchema<{ id: number }>({ type: "object", properties: { id: { type: "integer" } }, required: ["id"], additionalProperties: false }),
    execute: async ({ id }) => {
      lookups.push(id);
      return { id, title: "Login fails after password reset", status: "open" };
    },
  }),
};

const model = () => createAnthropic({ baseURL: `${proxy.url}/v1`, apiKey: "local" })("claude-sonnet-4-6");

describe("Vercel AI SDK streamText through mallex", () => {
  it("runs the app's own tool and finishes the next step with its result", async () => {
    lookups.length = 0;
    const seen = mlx.requests.length;
    // The model writes its call as Hermes markup in content, as a server without a parser for it leaks it.
    mlx.script(
      { text: 'Let me look that up.\n<tool_call>\n{"name": "lookup_ticket", "arguments": {"id": 42}}\n</tool_call>' },
      { text: "Ticket 42 is open: login fails after a password reset." },
    );
    const result = streamText({ model: model(), tools, prompt: "What is ticket 42 about?", stopWhen: stepCountIs(3) });
    const text = await result.text;
    const steps = await result.steps;

    expect(lookups).toEqual([42]);
    expect(steps).toHaveLength(2);
    expect(steps[0]!.toolCalls.map((call) => [call.toolName, call.input])).toEqual([["lookup_ticket", { id: 42 }]]);
    expect(steps[0]!.finishReason).toBe("tool-calls");
    expect(text).toContain("Ticket 42 is open");
    expect(await result.finishReason).toBe("stop");

    // The tool reached the model (a client's own tool is never dropped) and its result came back.
    const generations = mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions");
    const first = generations[0]!.body as { tools?: Array<{ function: { name: string } }> };
    expect(first.tools?.map((t) => t.function.name)).toEqual(["lookup_ticket"]);
    const second = JSON.stringify(generations[1]!.body);
    expect(second).toContain("Login fails after password reset");
  });

  it("keeps a forced toolChoice even though mlx-lm cannot enforce it", async () => {
    lookups.length = 0;
    // The first answer ignores the instruction; mallex asks once more, and the SDK sees only the call.
    mlx.script({ text: "I think ticket 7 is about billing." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 7 } }] });
    const result = streamText({
      model: model(),
      tools,
      toolChoice: { type: "tool", toolName: "lookup_ticket" },
      prompt: "Look up ticket 7.",
      stopWhen: stepCountIs(1),
    });
    const steps = await result.steps;
    expect(steps).toHaveLength(1);
    expect(steps[0]!.toolCalls.map((call) => [call.toolName, call.input])).toEqual([["lookup_ticket", { id: 7 }]]);
    expect(steps[0]!.text).toBe("");
    expect(lookups).toEqual([7]);
  });

  const forcedMessage =
    /^tool_choice tool requires a call to the tool "lookup_ticket", and the model of profile \S+ made none in 3 attempts \(last: the reply did not call "lookup_ticket"\)\. Its mlx-lm server cannot enforce tool_choice/;
  const generationsSince = (seen: number) => mlx.requests.slice(seen).filter((r) => r.path === "/v1/chat/completions").length;
  const forcedCall = { tools, toolChoice: { type: "tool", toolName: "lookup_ticket" } as const, prompt: "Look up ticket 7." };

  it("a model that never calls: generateText throws the API's error, naming the tool, after the SDK's own retries of a 500", async () => {
    lookups.length = 0;
    const seen = mlx.requests.length;
    // Nothing scripted: the fake echoes the prompt, which calls no tool. The SDK retries a 500 twice (its default
    // maxRetries; it does not read x-should-retry), and mallex asks the model 3 times for each request.
    const error = await generateText({ model: model(), ...forcedCall }).then(
      () => expect.unreachable("generateText should have thrown"),
      (thrown: unknown) => thrown,
    );
    expect(RetryError.isInstance(error)).toBe(true);
    const last = (error as RetryError).lastError;
    expect(APICallError.isInstance(last)).toBe(true);
    expect((last as APICallError).statusCode).toBe(500);
    expect((last as APICallError).message).toMatch(forcedMessage);
    expect(generationsSince(seen)).toBe(9);
    expect(lookups).toEqual([]);
  });

  it("a model that never calls, streamed: streamText's stream carries the APICallError, and no tool runs", async () => {
    lookups.length = 0;
    const seen = mlx.requests.length;
    const errors: unknown[] = [];
    const result = streamText({ model: model(), ...forcedCall, maxRetries: 0, stopWhen: stepCountIs(1), onError: ({ error }) => void errors.push(error) });
    const parts: string[] = [];
    for await (const part of result.fullStream) parts.push(part.type);
    expect(parts).toContain("error");
    expect(parts).not.toContain("tool-call");
    expect(errors).toHaveLength(1);
    expect(APICallError.isInstance(errors[0])).toBe(true);
    expect((errors[0] as APICallError).message).toMatch(forcedMessage);
    expect(generationsSince(seen)).toBe(3);
    expect(lookups).toEqual([]);
  });

  it("a model that complies on the retry: generateText runs the call", async () => {
    lookups.length = 0;
    mlx.script({ text: "Ticket 7 is probably billing." }, { toolCalls: [{ name: "lookup_ticket", arguments: { id: 7 } }] });
    const result = await generateText({ model: model(), ...forcedCall, stopWhen: stepCountIs(1) });
    expect(result.steps[0]!.toolCalls.map((call) => [call.toolName, call.input])).toEqual([["lookup_ticket", { id: 7 }]]);
    expect(result.finishReason).toBe("tool-calls");
    expect(lookups).toEqual([7]);
  });
});
