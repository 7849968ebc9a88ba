import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeProject, runClaude } from "./helpers/claude-code.js";
import { CLAUDE_CODE_MATRIX } from "./helpers/claude-code-versions.js";
import { loadShipped } from "./helpers/trim-helpers.js";
import { recognizeCompaction, COMPACTION_SYSTEM } from "../src/trim/fit-compaction-and-continuation.js";
import { trimRequest } from "../src/trim/trim-request.js";
import { trimPlanFor } from "../src/trim/plan-trim.js";
import { fitProfileToContext } from "../src/router/fit-to-server-facts.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import type { AnthropicTextBlock, MessagesRequest } from "../src/translate/anthropic-types.js";
import type { Templates } from "../src/templates/load-templates.js";
import { compactWindowFor } from "../src/cli/claude-code/claude-context-env.js";

/**
 * Claude Code's compaction request, as the real CLI sends it: an answer the context cut
 * (`model_context_window_exceeded`, what mallex reports when a small context fills) makes it compact
 * at once. mallex must know that request by its structure and make it fit a small context rather than
 * refuse it, since a refused compaction ends a `-p` session with "Prompt is too long".
 */
const LONG_ANSWER = Array.from({ length: 1500 }, (_, i) => `word${i}`).join(" ");

function sse(res: ServerResponse, text: string, stopReason: string) {
  res.writeHead(200, { "content-type": "text/event-stream" });
  const event = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event("message_start", {
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "m",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 1700, output_tokens: 1 },
    },
  });
  event("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
  event("content_block_delta", { index: 0, delta: { type: "text_delta", text } });
  event("content_block_stop", { index: 0 });
  event("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 2396 } });
  event("message_stop", {});
  res.end();
}

const lastText = (request: MessagesRequest) => {
  const content = request.messages.at(-1)!.content;
  return typeof content === "string" ? content : (content.filter((block) => block.type === "text").at(-1) as AnthropicTextBlock).text;
};

describe.each(CLAUDE_CODE_MATRIX)("Claude Code %s's compaction request", (_name, claudeCode) => {
  let api: Server;
  let table: RoutingTable;
  let templates: Templates;
  let requests: MessagesRequest[] = [];
  beforeAll(async () => {
    ({ table, templates } = await loadShipped());
    // The Messages API as far as Claude Code needs it: its HEAD warm-up, then each POST recorded and answered.
    api = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", () => {
        if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) return res.writeHead(200).end();
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as MessagesRequest;
        requests.push(body);
        if (requests.length === 1) return sse(res, LONG_ANSWER, "model_context_window_exceeded");
        sse(res, /<summary>/.test(lastText(body)) ? "<summary>The user asked a question; the answer was long.</summary>" : "Done.", "end_turn");
      });
    });
    await new Promise<void>((resolve) => api.listen(0, "127.0.0.1", resolve));
    // Told the window `mallex run` tells it for a 4 K context, under the local model name it gives it.
    const window = String(compactWindowFor(3072, {}));
    await runClaude(`http://127.0.0.1:${(api.address() as AddressInfo).port}`, makeProject(), ["-p", "what is 2+2", "--output-format", "json"], claudeCode, {
      ANTHROPIC_MODEL: "mallex/local",
      CLAUDE_CODE_AUTO_COMPACT_WINDOW: window,
      CLAUDE_CODE_MAX_CONTEXT_TOKENS: window,
    });
  }, 90_000);
  afterAll(() => {
    api.closeAllConnections();
    api.close();
  });

  const compactions = () => requests.filter((request) => recognizeCompaction(request) !== undefined);

  it("follows an answer the context cut, and is known by its structure: the agent's request with the summary instructions as its last user turn", () => {
    expect(requests.length, "requests Claude Code sent").toBeGreaterThan(1);
    expect(recognizeCompaction(requests[0]!)).toBeUndefined();
    expect(compactions().length, "a compaction request").toBeGreaterThan(0);
    const compaction = compactions()[0]!;
    // The same agent request (its tools and system prompt, for the prompt cache), the cut answer, then the instructions.
    expect(compaction.tools?.length).toBe(requests[0]!.tools?.length);
    expect(compaction.messages.at(-2)).toMatchObject({ role: "assistant" });
    expect(lastText(compaction)).toMatch(/create a detailed summary of the conversation so far/);
    // A user's own words that only quote part of it are not one.
    expect(
      recognizeCompaction({ messages: [{ role: "user", content: "How does Claude Code create a detailed summary of the conversation so far?" }] }),
    ).toBeUndefined();
  });

  it("is fitted to a 4 K context's budget instead of refused: tools and Claude Code's prompt give way, the instructions stay as sent, the newest turn stays", () => {
    const compaction = compactions()[0]!;
    const profile = fitProfileToContext(table.profiles["qwen3-coder-30b"]!, 4096);
    const plan = trimPlanFor({ ...table, profiles: { ...table.profiles, [profile.name]: profile } }, profile);
    const result = trimRequest(compaction, plan, templates, { userAgent: `claude-cli/${claudeCode.version} (external, sdk-cli)` });
    expect(result.ok, result.ok ? "" : result.error.message).toBe(true);
    expect(result.report.after.tokens).toBeLessThanOrEqual(3072);
    expect(result.report.compaction).toMatchObject({ rewritten: true });
    expect(result.report.rules.map((hit) => hit.rule)).toContain("compaction");
    expect(result.request.tools).toBeUndefined();
    expect(result.request.system).toBe(COMPACTION_SYSTEM);
    expect(lastText(result.request)).toBe(lastText(compaction));
    const transcript = (result.request.messages[0]!.content as AnthropicTextBlock[])[0]!.text;
    expect(transcript).toMatch(/^<conversation>\n/);
    expect(transcript).toContain("what is 2+2");
    // The cut answer's end, the newest thing said, is kept; its middle gave way.
    expect(transcript).toContain("word1499");
    expect(transcript).toMatch(/chars cut by mallex/);
  });

  it("one that fits as Claude Code's own goes on as its own when its summary is cut: the cut summary kept to its tail, the prompt the first request's", () => {
    // Its cut answer short: the conversation fits the budget with the instructions.
    const cut = compactions()[0]!;
    const compaction = {
      ...cut,
      messages: cut.messages.map((message, index) => (index === cut.messages.length - 2 ? { role: "assistant" as const, content: "4" } : message)),
    };
    const profile = fitProfileToContext(table.profiles["qwen3-coder-30b"]!, 8192);
    const plan = trimPlanFor({ ...table, profiles: { ...table.profiles, [profile.name]: profile } }, profile);
    const trim = (request: MessagesRequest) => trimRequest(request, plan, templates, { userAgent: `claude-cli/${claudeCode.version} (external, sdk-cli)` });
    const first = trim(compaction);
    expect(first.ok).toBe(true);
    expect(first.report.compaction).toMatchObject({ rewritten: false });
    // Its summary cut at the output limit, twice: every piece is sent again with each request to go on.
    const piece = `<summary>\n${Array.from({ length: 700 }, (_, i) => `point${i}`).join(" ")}`;
    const goOn =
      "Output token limit hit. Resume directly — no apology, no recap of what you were doing. Pick up mid-thought if that is where the cut happened.";
    const continued = trim({
      ...compaction,
      messages: [
        ...compaction.messages,
        { role: "assistant", content: piece },
        { role: "user", content: goOn },
        { role: "assistant", content: piece },
        { role: "user", content: goOn },
      ],
    });
    expect(continued.ok, continued.ok ? "" : continued.error.message).toBe(true);
    expect(continued.report.compaction).toMatchObject({ rewritten: false });
    expect(continued.report.after.tokens).toBeLessThanOrEqual(profile.inputBudget!);
    // The first request's prompt, then the newest piece's tail and the request to go on.
    expect(continued.request.system).toEqual(first.request.system);
    expect(continued.request.tools).toEqual(first.request.tools);
    expect(continued.request.messages.slice(0, first.request.messages.length)).toEqual(first.request.messages);
    expect(continued.request.messages.slice(first.request.messages.length)).toMatchObject([{ role: "assistant" }, { role: "user", content: goOn }]);
    expect(JSON.stringify(continued.request.messages.at(-2))).toContain("point699");
    expect(JSON.stringify(continued.request.messages.at(-2))).not.toContain("point0 ");
  });

  it("a context its instructions alone overflow is refused as 'prompt is too long', saying /compact cannot work and what would", () => {
    const compaction = compactions()[0]!;
    const profile = fitProfileToContext({ ...table.profiles["qwen3-coder-30b"]!, backend: "embedded" }, 1024);
    const result = trimRequest(compaction, trimPlanFor({ ...table, profiles: { [profile.name]: profile } }, profile, "small"), templates, {
      userAgent: `claude-cli/${claudeCode.version}`,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.message).toMatch(
      /^prompt is too long: \d+ tokens > 768 maximum of mallex profile "qwen3-coder-30b" \(75% of the 1024-token context its model holds/,
    );
    expect(result.error.message).toContain("/compact cannot work in this context: run /clear, and for room to work in, start mallex with --ctx-size 32768");
  });
});
