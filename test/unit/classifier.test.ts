import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { createClassifierCache } from "../../src/router/classifier-cache.js";
import { buildClassifierBody, CLASSIFIER_MAX_TOKENS, renderClassifierPrompt, shorten, userTurnText } from "../../src/router/classifier-prompt.js";
import { classifyWithModel, parseClassifierAnswer } from "../../src/router/classify-with-model.js";
import { compileRouterRules } from "../../src/router/compile-rules.js";
import { estimateTokens } from "../../src/translate/estimate-tokens.js";
import { selectRoute, type RouteInput } from "../../src/router/select-route.js";
import { profileTranslateOptions } from "../../src/pipeline/profile-translate-options.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { OpenAIChatResponse } from "../../src/translate/openai-types.js";
import { compileShipped, loadShipped } from "../helpers/trim-helpers.js";

const IDS = ["chit_chat", "try_again", "hard_question", "simple_code"];

describe("parseClassifierAnswer", () => {
  it.each([
    ['{"intent": "hard_question"}', "hard_question"],
    ['```json\n{"intent":"simple_code"}\n```', "simple_code"],
    ["chit_chat", "chit_chat"],
    ['"try_again".', "try_again"],
    ["Intent: Hard-Question", "hard_question"],
    ["`simple code`", "simple_code"],
    ["<think>the user greets</think>\nchit_chat", "chit_chat"],
    ["The request is a hard_question because it asks for a design.", "hard_question"],
    ['{"category": "try_again"}', "try_again"],
  ])("reads %j as %s", (answer, intent) => {
    expect(parseClassifierAnswer(answer, IDS)).toEqual({ ok: true, intent });
  });

  it.each(['{"intent": "none"}', "none", "Other.", '{"intent": null}'])("reads %j as no intent", (answer) => {
    expect(parseClassifierAnswer(answer, IDS)).toEqual({ ok: true });
  });

  it.each([
    ["", "its answer names no intent: (empty)"],
    ['{"intent": "refactor"}', 'its answer names no intent: "{\\"intent\\": \\"refactor\\"}"'],
    ["either chit_chat or simple_code", 'its answer names no intent: "either chit_chat or simple_code"'],
    ['{"intent": "hard_ques', 'its answer names no intent: "{\\"intent\\": \\"hard_ques"'],
  ])("refuses %j rather than guess", (answer, problem) => {
    expect(parseClassifierAnswer(answer, IDS)).toEqual({ ok: false, problem });
  });
});

describe("userTurnText", () => {
  const reminder = { type: "text" as const, text: "<system-reminder>\nCLAUDE.md says hi\n</system-reminder>" };

  it("is the user's own words, without Claude Code's reminders", () => {
    expect(userTurnText({ messages: [{ role: "user", content: [reminder, { type: "text", text: "fix the bug" }] }] })).toBe("fix the bug");
    expect(userTurnText({ messages: [{ role: "user", content: "  hello  " }] })).toBe("hello");
  });

  it("on a tool round trip, is the text of the turn that started it", () => {
    const messages = [
      { role: "user" as const, content: [reminder, { type: "text" as const, text: "create hello.txt" }] },
      { role: "assistant" as const, content: [{ type: "tool_use" as const, id: "toolu_1", name: "Write", input: {} }] },
      { role: "user" as const, content: [{ type: "tool_result" as const, tool_use_id: "toolu_1", content: "done" }, reminder] },
    ];
    expect(userTurnText({ messages })).toBe("create hello.txt");
  });

  it("is empty when the user wrote nothing of their own", () => {
    expect(userTurnText({ messages: [{ role: "user", content: [reminder] }] })).toBe("");
  });
});

describe("the classifier prompt", () => {
  let table: RoutingTable;
  let templates: Templates;
  beforeAll(async () => {
    ({ table, templates } = await loadShipped());
  });

  it("lists the intents and asks for a JSON answer, with the user's text only", () => {
    const prompt = renderClassifierPrompt("rename foo to bar", table.intents, templates, "classifier");
    for (const intent of table.intents) expect(prompt).toContain(`- ${intent.id}: ${intent.description}`);
    expect(prompt).toContain('"""\nrename foo to bar\n"""');
    expect(prompt).toContain('{"intent": "<category id>"}');
  });

  it("stays under 300 tokens, whatever the user pasted: the text's head and tail are kept", () => {
    const pasted = `why does this fail?\n${"at Object.<anonymous> (/home/dev/project/src/server/routes/messages.ts:120:15)\n".repeat(400)}what am I missing`;
    const prompt = renderClassifierPrompt(pasted, table.intents, templates, "classifier");
    expect(estimateTokens(prompt.length)).toBeLessThan(300);
    // Code tokenizes denser than prose (~3 characters a token): still under 300.
    expect(Math.ceil(prompt.length / 3)).toBeLessThan(300);
    expect(prompt).toContain("why does this fail?");
    expect(prompt).toContain("what am I missing");
    expect(prompt).toContain(" […] ");
  });

  it("shortens to exactly the limit", () => {
    expect(shorten("abcdefghij", 20)).toBe("abcdefghij");
    const cut = shorten("x".repeat(100) + "END", 40);
    expect(cut).toHaveLength(40);
    expect(cut.endsWith("END")).toBe(true);
  });

  it("asks for a few tokens at temperature 0, thinking off, not streamed, without a model name for mlx-lm", () => {
    const profile = table.profiles["qwen3-coder-30b"]!;
    const body = JSON.parse(buildClassifierBody("the prompt", profileTranslateOptions(profile, "mlx-lm"))) as Record<string, unknown>;
    expect(body).toEqual({
      messages: [{ role: "user", content: "the prompt" }],
      max_tokens: CLASSIFIER_MAX_TOKENS,
      temperature: 0,
      top_p: 0.8,
      top_k: 20,
      repetition_penalty: 1.05,
      stream: false,
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(JSON.parse(buildClassifierBody("p", profileTranslateOptions(profile, "llama-server"))).model).toBe(profile.model);
  });
});

describe("classifyWithModel", () => {
  const answer = (content: string | null): OpenAIChatResponse => ({ choices: [{ index: 0, message: { role: "assistant", content } }] });
  const options = (complete: (body: string, signal: AbortSignal) => Promise<OpenAIChatResponse>, timeoutMs = 1000, signal = new AbortController().signal) => ({
    body: "{}",
    intentIds: IDS,
    timeoutMs,
    signal,
    complete,
  });

  it("gives the intent the model names", async () => {
    expect(await classifyWithModel(options(async () => answer('{"intent": "simple_code"}')))).toEqual({
      outcome: "ok",
      verdict: { ok: true, intent: "simple_code" },
    });
  });

  it("times out after timeoutMs, even when the call ignores its signal", async () => {
    // A call that never settles: without the timeout this would wait past the test's own.
    const call = await classifyWithModel(options(() => new Promise(() => undefined), 50));
    expect(call).toMatchObject({ outcome: "timeout", verdict: { ok: false, problem: "timed out after 50 ms" } });
  });

  it("says why when the call fails or the answer names no intent, and never throws", async () => {
    expect(await classifyWithModel(options(async () => Promise.reject(new Error("mlx at http://127.0.0.1:1/v1 is not reachable"))))).toEqual({
      outcome: "error",
      verdict: { ok: false, problem: "the call failed" },
      detail: "mlx at http://127.0.0.1:1/v1 is not reachable",
    });
    expect(await classifyWithModel(options(async () => answer("I think this is about code")))).toMatchObject({
      outcome: "invalid",
      verdict: { ok: false, problem: 'its answer names no intent: "I think this is about code"' },
    });
  });

  it("stops when the client goes away", async () => {
    const client = new AbortController();
    const pending = classifyWithModel(
      options((_body, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason))), 5000, client.signal),
    );
    client.abort();
    expect(await pending).toMatchObject({ outcome: "cancelled" });
  });
});

describe("the classifier cache", () => {
  it("keeps where each turn went, per session and turn text", () => {
    const cache = createClassifierCache(2);
    cache.set("s1", "fix it", { tier: "low", reason: "classifier intent simple_code → low", byClassifier: true });
    cache.set("s2", "fix it", { tier: "medium", reason: "default → medium (classifier: timed out after 5 ms)", byClassifier: true });
    expect(cache.get("s1", "fix it")).toEqual({ tier: "low", reason: "classifier intent simple_code → low", byClassifier: true });
    expect(cache.get("s2", "fix it")?.tier).toBe("medium");
    expect(cache.get("s1", "fix it now")).toBeUndefined();
    cache.set(undefined, "hello", { tier: "low", reason: "intent chit_chat → low", byClassifier: false });
    expect(cache.get("s1", "fix it")).toBeUndefined(); // the least recently used, past capacity
    expect(cache.get(undefined, "hello")?.reason).toBe("intent chit_chat → low");
  });
});

describe("selectRoute with a classifier verdict or a turn's route", () => {
  let table: RoutingTable;
  beforeAll(() => {
    table = compileShipped().table;
  });
  const facts = { latestUserText: "the login page is blank on safari", turn: "user" as const, hasImages: false, chars: 100, estimatedTokens: 29 };
  const route = (input: Partial<RouteInput>) => {
    const result = selectRoute({ model: "claude-opus-4-8", facts, ...input }, table, compileRouterRules(table), () => ({ ok: true }));
    if (!result.ok) throw new Error(result.message);
    return result.route;
  };

  it("marks a route no rule decided as unsure, one an intent decided as decided by the words, one a model rule decided as neither", () => {
    expect(route({})).toMatchObject({ tier: "medium", reason: "default → medium", unsure: true });
    expect(route({ facts: { ...facts, latestUserText: "thanks!" } })).toMatchObject({ reason: "intent chit_chat → low", byWords: true });
    const haiku = route({ model: "claude-haiku-4-5" });
    expect(haiku).not.toHaveProperty("unsure");
    expect(haiku).not.toHaveProperty("byWords");
  });

  it("routes by the classifier's intent, and says so", () => {
    expect(route({ classified: { ok: true, intent: "hard_question" } })).toMatchObject({
      tier: "high",
      reason: "classifier intent hard_question → high",
      byWords: true,
    });
    expect(route({ classified: { ok: true, intent: "try_again" }, sessionTier: "low" })).toMatchObject({
      tier: "medium",
      reason: "classifier intent try_again escalates low → medium",
    });
  });

  it("keeps the rules' tier when the classifier has no intent or failed, and says why", () => {
    expect(route({ classified: { ok: true } })).toMatchObject({ tier: "medium", reason: "default → medium (classifier: no intent fits)" });
    const failed = route({ classified: { ok: false, problem: "timed out after 1500 ms" } });
    expect(failed).toMatchObject({ tier: "medium", reason: "default → medium (classifier: timed out after 1500 ms)", byWords: true });
    expect(failed).not.toHaveProperty("unsure");
  });

  it("sends a request where its turn went, without escalating again", () => {
    const turnRoute = { tier: "high" as const, reason: "intent try_again escalates medium → high", byClassifier: false };
    expect(route({ facts: { ...facts, latestUserText: "", turn: "tool_result" }, sessionTier: "high", turnRoute })).toMatchObject({
      tier: "high",
      reason: "intent try_again escalates medium → high (cached)",
    });
  });

  it("lets a rule win over a verdict or a turn's route", () => {
    const thanks = { ...facts, latestUserText: "thanks!" };
    expect(route({ facts: thanks, classified: { ok: true, intent: "hard_question" } })).toMatchObject({ tier: "low", reason: "intent chit_chat → low" });
    expect(route({ facts: thanks, turnRoute: { tier: "high", reason: "x", byClassifier: true } })).toMatchObject({
      tier: "low",
      reason: "intent chit_chat → low",
    });
  });
});
