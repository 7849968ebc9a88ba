/**
 * The model classifier (classifier.mode model) in process, on Claude Code's captured requests with
 * other words typed: asked once per user turn where no rule decides, its answer routes; a timeout,
 * a dead backend or a garbage answer leaves the default tier and says why; /metrics counts it.
 * The fake mlx-lm.server stands in for the classifier model's output only.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { CLASSIFIER_MAX_TOKENS } from "../src/router/classifier-prompt.js";
import { estimateTokens } from "../src/translate/estimate-tokens.js";
import type { MessagesRequest } from "../src/translate/anthropic-types.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { parseExposition, sumOf } from "./helpers/parse-exposition.js";
import { describeWithShared } from "./helpers/shared-dir.js";
import { closedBackendUrl, createTestProxy, defaultTable, fixture, type TestProxy } from "./helpers/test-proxy.js";
import { routeReason } from "./helpers/route-reason.js";

/** What the capture's user typed, and what these tests type instead: no rule decides it. */
const TYPED = "create hello.txt containing hi";
const UNSURE = "the login page is blank on safari but works in chrome";

let mlx: FakeMlxServer;
/** What the classifier model answers next; every other request gets the fake's echo. */
let classifierAnswer: FakeScript = { text: '{"intent": "simple_code"}' };
const isClassification = (record: FakeRequestRecord) => {
  const body = record.body as { max_tokens?: number; messages?: unknown[] };
  return body.max_tokens === CLASSIFIER_MAX_TOKENS && body.messages?.length === 1;
};
const classifications = () => mlx.requests.filter(isClassification);

beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: (record) => (isClassification(record) ? classifierAnswer : undefined) });
});
afterAll(() => mlx.close());

/** The shipped table with the classifier on, and the low tier on its own profile so a route to it shows. */
function classifierTable(timeoutMs = 1500): RoutingTable {
  const table = structuredClone(defaultTable);
  table.classifier = { mode: "model", profile: "qwen3-coder-30b", template: "classifier", timeoutMs };
  table.tiers.low = { profile: "qwen2.5-coder-7b" };
  return table;
}

/** Claude Code's captured request of a turn (first request, or its tool follow-up) with other words typed. */
function turn(name: "tool-use-first-request.json" | "tool-use-followup.json", text = UNSURE): MessagesRequest {
  const request = fixture(name) as unknown as MessagesRequest;
  const json = JSON.stringify(request);
  if (!json.includes(TYPED)) throw new Error(`${name} no longer carries the prompt "${TYPED}"`);
  return JSON.parse(json.replace(JSON.stringify(TYPED), JSON.stringify(text))) as MessagesRequest;
}

async function routeOf(proxy: TestProxy, request: MessagesRequest, session = "session-1"): Promise<string> {
  const response = await proxy.post("/v1/messages?beta=true", request, { "x-claude-code-session-id": session, "anthropic-version": "2023-06-01" });
  await response.text();
  expect(response.status).toBe(200);
  return response.headers.get("x-mallex-route") ?? "";
}

describeWithShared("the model classifier on Claude Code's requests", () => {
  it("is asked when no rule decides, and routes by the intent it names", async () => {
    classifierAnswer = { text: '{"intent": "simple_code"}' };
    const before = classifications().length;
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable() });
    const header = await routeOf(proxy, turn("tool-use-first-request.json"));
    expect(header).toMatch(/^tier=low; profile=qwen2\.5-coder-7b; backend=local; /);
    expect(routeReason(header)).toBe("classifier intent simple_code → low");
    expect(proxy.logs.at(-1)).toMatch(/^claude-opus-4-8 → qwen2\.5-coder-7b \(classifier intent simple_code → low\) · /);
    const asked = classifications().slice(before);
    expect(asked).toHaveLength(1);
    // A few tokens at temperature 0, no model name (mlx-lm would load it), no tools, thinking off.
    expect(asked[0]!.body).toMatchObject({
      max_tokens: CLASSIFIER_MAX_TOKENS,
      temperature: 0,
      stream: false,
      chat_template_kwargs: { enable_thinking: false },
    });
    expect(asked[0]!.body).not.toHaveProperty("model");
    expect(asked[0]!.body).not.toHaveProperty("tools");
  });

  it("asks once per user turn: its tool round trips and the same turn again reuse the answer, another session asks anew", async () => {
    classifierAnswer = { text: "simple_code" };
    const before = classifications().length;
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable() });
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json")))).toBe("classifier intent simple_code → low");
    expect(routeReason(await routeOf(proxy, turn("tool-use-followup.json")))).toBe("classifier intent simple_code → low (cached)");
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json")))).toBe("classifier intent simple_code → low (cached)");
    expect(classifications().length - before).toBe(1);
    expect(routeReason(await routeOf(proxy, turn("tool-use-followup.json"), "session-2"))).toBe("classifier intent simple_code → low");
    expect(classifications().length - before).toBe(2);

    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "ok" })).toBe(2);
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "cached" })).toBe(2);
  });

  it("is not asked when a rule decides, nor in mode rules", async () => {
    const before = classifications().length;
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable() });
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json", "thanks!")))).toBe("intent chit_chat → low");
    const rules = createTestProxy({ backendUrl: mlx.url });
    expect(routeReason(await routeOf(rules, turn("tool-use-first-request.json")))).toBe("default → medium");
    expect(classifications().length).toBe(before);
    expect(parseExposition(await (await rules.fetch("/metrics")).text()).some((s) => s.name === "mallex_classifier_decisions_total")).toBe(false);
  });

  it("keeps the default tier after timeout_ms without an answer, and says so", async () => {
    classifierAnswer = { failure: "hang" };
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable(200) });
    const started = performance.now();
    const header = await routeOf(proxy, turn("tool-use-first-request.json"));
    expect(performance.now() - started).toBeLessThan(5000);
    expect(header).toMatch(/^tier=medium; profile=qwen3-coder-30b; /);
    expect(routeReason(header)).toBe("default → medium (classifier: timed out after 200 ms)");
    expect(proxy.logs).toContainEqual(
      expect.stringMatching(/^classifier \(profile qwen3-coder-30b\): no answer within classifier\.timeout_ms \(200 ms\); routed by the rules · req_test0001$/),
    );
    // The turn's tool round trip does not wait for the classifier again.
    expect(routeReason(await routeOf(proxy, turn("tool-use-followup.json")))).toBe("default → medium (classifier: timed out after 200 ms) (cached)");
    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "timeout" })).toBe(1);
  });

  it("keeps the default tier when the answer names no intent", async () => {
    classifierAnswer = { text: "This looks like a file creation task." };
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable() });
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json")))).toBe(
      'default → medium (classifier: its answer names no intent: "This looks like a file creation task.")',
    );
    classifierAnswer = { text: '{"intent": "write_file"}' };
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json", "the signup page too")))).toMatch(
      /^default → medium \(classifier: its answer names no intent: /,
    );
    classifierAnswer = { text: '{"intent": "none"}' };
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json", "and the settings page")))).toBe(
      "default → medium (classifier: no intent fits)",
    );
    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "invalid" })).toBe(2);
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "ok" })).toBe(1);
  });

  it("keeps the default tier when the classifier's backend is down, and the request is served", async () => {
    const table = classifierTable();
    table.backends["tiny"] = { kind: "openai", flavor: "llama-server", baseUrl: await closedBackendUrl(), headers: {} };
    table.profiles["tiny-classifier"] = { ...table.profiles["qwen2.5-coder-7b"]!, name: "tiny-classifier", backend: "tiny" };
    table.classifier.profile = "tiny-classifier";
    const backends = resolveBackends(table, {}, { backendUrl: mlx.url });
    backends["tiny"]!.baseUrl = table.backends["tiny"].baseUrl;
    const proxy = createTestProxy({ table, ctx: { backends } });
    expect(routeReason(await routeOf(proxy, turn("tool-use-first-request.json")))).toBe("default → medium (classifier: the call failed)");
    expect(proxy.logs.find((line) => line.startsWith("classifier"))).toMatch(
      /^classifier \(profile tiny-classifier\): .*tiny.*; routed by the rules · req_test0001$/,
    );
    const samples = parseExposition(await (await proxy.fetch("/metrics")).text());
    expect(sumOf(samples, "mallex_classifier_decisions_total", { outcome: "error" })).toBe(1);
  });

  it("reads only the user's own words: under 300 tokens for a real turn, and for a long paste", async () => {
    classifierAnswer = { text: '{"intent": "none"}' };
    const before = classifications().length;
    const proxy = createTestProxy({ backendUrl: mlx.url, table: classifierTable() });
    const paste = `the build broke after the merge:\n${"src/server/routes/messages.ts(58,9): error TS2345: Argument of type 'string' is not assignable to parameter of type 'never'.\n".repeat(200)}it was green yesterday`;
    await routeOf(proxy, turn("tool-use-first-request.json"));
    await routeOf(proxy, turn("tool-use-first-request.json", paste));
    const prompts = classifications()
      .slice(before)
      .map((record) => (record.body as { messages: Array<{ content: string }> }).messages[0]!.content);
    expect(prompts).toHaveLength(2);
    for (const prompt of prompts) {
      expect(estimateTokens(prompt.length)).toBeLessThan(300);
      expect(prompt).not.toMatch(/system-reminder|claudeMd|Available agent types|x-anthropic-billing-header/);
    }
    expect(prompts[0]).toContain(`"""\n${UNSURE}\n"""`);
    expect(prompts[1]).toContain("the build broke after the merge:");
    expect(prompts[1]).toContain("it was green yesterday");
    // The fake's tokenizer saw the whole rendered prompt, chat template included.
    for (const record of classifications().slice(before)) expect(record.prompt!.tokens).toBeLessThan(300);
  });
});
