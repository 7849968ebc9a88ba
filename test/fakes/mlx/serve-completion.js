// @ts-check
/**
 * One `/v1/chat/completions` or `/v1/completions` request, after validation: the
 * `handle_completion` flow of mlx_lm/server.py. Load the model (404 on failure), template
 * and tokenize (404 on failure), send the stream headers, prefill with `: keepalive N/M`
 * comments, then one chunk per token, the final chunk, the usage chunk and `[DONE]`.
 * A non-streamed reply is written in one piece at the end, with a Content-Length.
 */
import { renderChatPrompt, tokenize } from "./chat-template.js";
import { JSON_HEADERS, STREAM_HEADERS, dropConnection, endResponse, resetConnection, sendReply, writeBody, writeHead } from "./http-wire.js";
import { planGeneration } from "./plan-generation.js";
import { dumpsPython } from "./python-json.js";
import { completeResponse, formatToolCall, makeUsage, streamChunk, usageChunk } from "./shape-response.js";

/** @typedef {import("node:net").Socket} Socket */
/** @typedef {import("../mlx-lm-server.js").FakeScript} FakeScript */
/** @typedef {import("../mlx-lm-server.js").FakeRequestRecord} FakeRequestRecord */
/** @typedef {import("../mlx-lm-server.js").GenerationParams} GenerationParams */
/** @typedef {import("../mlx-lm-server.js").GenerationEvent} GenerationEvent */
/** @typedef {import("./prompt-cache.js").createPromptCache} createPromptCache */
/**
 * What a request needs from its server instance.
 * @typedef {{
 *   now: () => number,
 *   generateId: () => string,
 *   sleep: (ms: number) => Promise<void>,
 *   hang: () => Promise<never>,
 *   log: (line: string) => void,
 *   isClosed: () => boolean,
 *   isWedged: (scope: "generation") => boolean,
 *   ensureModel: (requested: string) => Promise<string>,
 *   takeScript: (record: FakeRequestRecord) => Promise<FakeScript>,
 *   onGeneration: (event: GenerationEvent) => void | Promise<void>,
 *   promptCache: ReturnType<createPromptCache>,
 *   settings: { systemFingerprint: string, prefillStepSize: number, tokenDelayMs: number, omitEmptyContent: boolean, prefillTokensPerSecond: number | undefined },
 * }} ServerContext
 */

/**
 * @param {ServerContext} server
 * @param {Socket} socket
 * @param {FakeRequestRecord} record
 * @param {Record<string, unknown>} body
 * @param {GenerationParams} params
 * @param {"chat" | "text"} endpoint
 */
export async function serveCompletion(server, socket, record, body, params, endpoint) {
  let settled = false;
  const settle = () => {
    settled = true;
  };
  socket.once("close", () => {
    if (!settled && !server.isClosed()) record.aborted = true;
  });
  /** @param {number} status @param {unknown} payload */
  const reply = (status, payload) => {
    settle();
    sendReply(socket, status, payload, server.now());
  };
  /** @param {GenerationEvent["phase"]} phase */
  const emit = (phase) => server.onGeneration({ phase, stream: params.stream, record });

  await emit("queued");
  if (server.isWedged("generation")) return server.hang();

  let model;
  let promptText;
  try {
    model = await server.ensureModel(params.model);
    promptText = endpoint === "chat" ? renderChatPrompt(body.messages, body.tools, params.enableThinking) : promptOf(body.prompt);
  } catch (error) {
    return reply(404, { error: /** @type {Error} */ (error).message });
  }
  const promptTokens = tokenize(promptText);
  const script = await server.takeScript(record);
  if (socket.destroyed) return;
  if (script.failure === "reset-before-headers") {
    settle();
    return resetConnection(socket);
  }
  if (script.failure === "http-error" || script.status !== undefined) {
    return reply(script.status ?? 404, script.errorBody ?? { error: "scripted failure" });
  }

  const promptCount = script.promptTokens ?? promptTokens.length;
  const cached = Math.min(script.cachedTokens ?? server.promptCache.lookup(model, promptTokens), promptCount);
  record.prompt = { text: promptText, tokens: promptCount, cachedTokens: cached };
  const plan = planGeneration(script, { maxTokens: params.maxTokens, stopWords: params.stopWords, chat: endpoint === "chat" });
  const chat = endpoint === "chat";
  const meta = {
    id: `${chat ? "chatcmpl" : "cmpl"}-${server.generateId()}`,
    system_fingerprint: server.settings.systemFingerprint,
    object: chat ? (params.stream ? "chat.completion.chunk" : "chat.completion") : "text_completion",
    model: params.model,
    created: Math.floor(server.now() / 1000),
  };
  /** @param {unknown} payload */
  const send = (payload) => writeBody(socket, `data: ${typeof payload === "string" ? payload : dumpsPython(payload)}\n\n`);

  if (params.stream) writeHead(socket, 200, STREAM_HEADERS, server.now());
  if (script.failure === "hang") return server.hang();
  const prefillRate = server.settings.prefillTokensPerSecond;
  const prefillMs = script.prefillMs ?? (prefillRate === undefined ? 0 : ((promptCount - cached) / prefillRate) * 1000);
  await prefill(server, socket, params.stream, promptCount - cached, prefillMs, () => emit("prefill"));

  let text = "";
  let reasoning = "";
  /** @type {import("../mlx-lm-server.js").FakeToolCall[]} */
  let calls = [];
  let madeToolCall = false;
  let toolIndex = 0;
  const format = () => calls.map((call) => formatToolCall(call, params.stream ? toolIndex++ : undefined, server.generateId));
  const failAfter = script.failure === "close-mid-stream" ? (script.failAfterTokens ?? 1) : Number.POSITIVE_INFINITY;
  const delay = script.tokenDelayMs ?? server.settings.tokenDelayMs;
  let generated = 0;
  for (const token of plan.tokens) {
    if (generated >= failAfter) break;
    if (delay > 0) await server.sleep(delay);
    if (socket.destroyed) return;
    generated += 1;
    if (token.state === "reasoning") reasoning += token.text;
    if (token.state === "normal") text += token.text;
    if (token.call) {
      calls.push(token.call);
      madeToolCall = true;
    }
    if (params.stream && token.state !== "tool" && (text || reasoning || calls.length > 0)) {
      send(streamChunk(meta, { text, reasoning, toolCalls: format(), finishReason: null }));
      [text, reasoning, calls] = ["", "", []];
    }
  }
  if (script.failure === "close-mid-stream") {
    settle();
    return dropConnection(socket);
  }

  server.promptCache.insert(model, [...promptTokens, ...plan.tokens.map((token) => token.id)]);
  const finishReason = script.finishReason ?? (plan.finishReason === "stop" && madeToolCall ? "tool_calls" : plan.finishReason);
  const usage = makeUsage(promptCount, plan.tokens.length, cached);
  const last = { text, reasoning, toolCalls: format(), finishReason };
  settle();
  if (!params.stream) {
    const response = completeResponse(meta, last, usage, server.settings.omitEmptyContent);
    sendReply(socket, 200, response, server.now(), { contentLength: true, headers: JSON_HEADERS });
    return emit("done");
  }
  send(streamChunk(meta, last));
  // `self.stream_options["include_usage"]` raises after the last chunk: no usage, no [DONE].
  if (params.includeUsage === "error") return dropConnection(socket);
  if (params.includeUsage) send(usageChunk(meta, usage));
  send("[DONE]");
  endResponse(socket);
  return emit("done");
}

/**
 * Prompt processing: `: keepalive processed/total` at 0, after each `prefill_step_size`
 * chunk, and at total when the first token is ready; `prefillMs` is spread over the chunks.
 * @param {ServerContext} server
 * @param {Socket} socket
 * @param {boolean} stream
 * @param {number} remaining uncached prompt tokens
 * @param {number} prefillMs
 * @param {() => void | Promise<void>} started called once `0/total` is out
 */
async function prefill(server, socket, stream, remaining, prefillMs, started) {
  const total = Math.max(1, remaining);
  const marks = [0];
  for (let done = 0; total - done > 1;) marks.push((done += Math.min(server.settings.prefillStepSize, total - done - 1)));
  marks.push(total);
  for (const [i, mark] of marks.entries()) {
    const previous = marks[i - 1];
    if (previous !== undefined && prefillMs > 0) await server.sleep((prefillMs * (mark - previous)) / total);
    if (socket.destroyed) return;
    server.log(`Prompt processing progress: ${mark}/${total}`);
    if (stream) writeBody(socket, `: keepalive ${mark}/${total}\n\n`);
    if (i === 0) await started();
  }
}

/** `tokenizer.encode(prompt)` accepts text only. @param {unknown} prompt */
function promptOf(prompt) {
  if (typeof prompt !== "string") throw new Error("TextEncodeInput must be Union[TextInputSequence, Tuple[InputSequence, InputSequence]]");
  return prompt;
}
