import { randomUUID } from "node:crypto";
import type { ChatHistoryItem, ChatModelFunctions, LlamaChatResponseChunk, LlamaContextSequence, LlamaGrammar, Token } from "node-llama-cpp";
import { buildChatHistory } from "./build-chat-history.js";
import { EngineRequestError, type EngineRequest, type EngineTool } from "./engine-request.js";
import type { LoadedEngine } from "./load-engine.js";
import { jsonSchemaToGbnf, toolParametersToGbnf } from "./json-schema-to-gbnf.js";

export type FinishReason = "stop" | "length" | "tool_calls";

export interface CompletionUsage {
  promptTokens: number;
  /** Prompt tokens the sequence's KV cache already held (the previous turn's prefix). */
  cachedTokens: number;
  completionTokens: number;
}

export type CompletionEvent =
  | { type: "text"; text: string }
  | { type: "reasoning"; text: string }
  | { type: "tool_call"; id: string; name: string; arguments: string }
  /** Prompt tokens evaluated so far (cached ones included), between pieces of a long prefill: the engine is alive. */
  | { type: "prefill"; evaluated: number; total: number }
  | { type: "done"; finishReason: FinishReason; usage: CompletionUsage };

/** llama-server's default when a client sends none (node-llama-cpp's own default is greedy). */
const DEFAULT_TEMPERATURE = 0.8;

/** A request checked and rendered: what can be refused is refused before any answer starts. */
export interface PreparedCompletion {
  readonly request: EngineRequest;
  readonly mode: GenerationMode;
  readonly promptTokens: Token[];
  readonly maxTokens: number;
}

/**
 * Renders the conversation with the model's chat template and checks that it fits the context.
 * Throws EngineRequestError (a 400) for what the client must change, before any byte is streamed.
 */
export async function prepareCompletion(engine: LoadedEngine, request: EngineRequest): Promise<PreparedCompletion> {
  const history = buildChatHistory(request.messages);
  const mode = await generationMode(engine, request, history);
  const promptTokens = renderPromptTokens(engine, mode.history, mode.functions);
  const room = engine.contextSize - promptTokens.length;
  if (room < 1) {
    // llama-server's fields for this refusal too (tools/server/server-task.cpp, exceed_context_size_error).
    throw new EngineRequestError(
      "messages",
      `the prompt exceeds the context: the prompt is ${promptTokens.length} tokens and this engine's context holds ${engine.contextSize} (--ctx-size), with no room for an answer: shorten the conversation or start the engine with a larger context`,
      { n_prompt_tokens: promptTokens.length, n_ctx: engine.contextSize },
    );
  }
  return { request, mode, promptTokens, maxTokens: Math.min(request.maxTokens ?? room, room) };
}

/**
 * One chat completion on the engine: wait for a sequence (the one whose cache shares the longest
 * prefix), generate, and report each piece as it comes. Tool calls are grammar-constrained: with
 * `tool_choice` auto the model may call a function in its template's own syntax and the arguments
 * are held to the tool's schema; with required or a named function the whole answer is a call.
 */
export async function generateCompletion(
  engine: LoadedEngine,
  prepared: PreparedCompletion,
  signal: AbortSignal,
  emit: (event: CompletionEvent) => void,
): Promise<void> {
  const { request, mode, promptTokens, maxTokens } = prepared;
  if (maxTokens === 0) {
    emit({ type: "done", finishReason: "length", usage: { promptTokens: promptTokens.length, cachedTokens: 0, completionTokens: 0 } });
    return;
  }

  const { slot, release } = await engine.pool.acquire(promptTokens, signal);
  try {
    // At least the last prompt token is evaluated again to produce the first new one.
    const cachedTokens = Math.min(slot.sequence.compareContextTokens(promptTokens).firstDifferentIndex, promptTokens.length - 1);
    await prefillInPieces(slot.sequence, promptTokens, cachedTokens, engine.prefillPieceTokens, signal, (evaluated) =>
      emit({ type: "prefill", evaluated, total: promptTokens.length }),
    );
    const outputBefore = slot.sequence.tokenMeter.usedOutputTokens;
    const guessedBefore = guessesNotTaken(slot.sequence);
    let forcedText = "";
    const onResponseChunk = (chunk: LlamaChatResponseChunk) => {
      if (chunk.text === "") return;
      if (chunk.type === "segment") {
        if (chunk.segmentType === "thought") emit({ type: "reasoning", text: chunk.text });
      } else if (mode.kind === "forced-call") {
        forcedText += chunk.text;
      } else {
        emit({ type: "text", text: chunk.text });
      }
    };
    const sampling = {
      maxTokens,
      temperature: request.temperature ?? DEFAULT_TEMPERATURE,
      ...(request.topK !== undefined ? { topK: request.topK } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.minP !== undefined ? { minP: request.minP } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      // Only what the client asked for: node-llama-cpp's default penalty would change every answer.
      repeatPenalty: request.repeatPenalty !== undefined && request.repeatPenalty !== 1 ? { penalty: request.repeatPenalty } : (false as const),
      ...(request.stop.length > 0 ? { customStopTriggers: request.stop } : {}),
      ...(request.enableThinking === false ? { budgets: { thoughtTokens: 0 } } : {}),
      signal,
      onResponseChunk,
    };
    const result =
      mode.kind === "functions"
        ? await slot.chat.generateResponse(mode.history, { ...sampling, functions: mode.functions, documentFunctionParams: true })
        : await slot.chat.generateResponse(mode.history, { ...sampling, ...(mode.grammar ? { grammar: mode.grammar } : {}) });
    // The meter counts every token evaluated as output, the guesses speculative decoding checked and dropped too.
    const completionTokens = slot.sequence.tokenMeter.usedOutputTokens - outputBefore - (guessesNotTaken(slot.sequence) - guessedBefore);
    const usage = { promptTokens: promptTokens.length, cachedTokens, completionTokens };
    const stopReason = result.metadata.stopReason;
    if (stopReason === "abort") throw signal.reason ?? new Error("aborted");

    if (mode.kind === "forced-call") {
      const call = stopReason === "maxTokens" ? undefined : parseForcedCall(forcedText, mode.tools);
      if (call) {
        emit({ type: "tool_call", id: toolCallId(), ...call });
        emit({ type: "done", finishReason: "tool_calls", usage });
      } else {
        // Cut off before the call was whole: what was written is all there is to show.
        if (forcedText !== "") emit({ type: "text", text: forcedText });
        emit({ type: "done", finishReason: "length", usage });
      }
      return;
    }
    const calls = result.functionCalls ?? [];
    for (const call of calls) emit({ type: "tool_call", id: toolCallId(), name: call.functionName, arguments: JSON.stringify(call.params ?? {}) });
    emit({ type: "done", finishReason: calls.length > 0 ? "tool_calls" : stopReason === "maxTokens" ? "length" : "stop", usage });
  } finally {
    release();
  }
}

/** Tokens a token predictor guessed that the model evaluated and did not take (refuted, or validated and not used). */
function guessesNotTaken(sequence: LlamaContextSequence): number {
  const { refuted, unused } = sequence.tokenPredictions;
  return refuted + unused;
}

/**
 * A long prompt is evaluated here, a piece at a time, before LlamaChat sees it (it then finds all but
 * the last token in the cache and evaluates that one): a 20,000-token prompt on a CPU prefills for
 * minutes, and each piece is a sign of life to whoever watches the stream for silence — mallex's
 * supervisor restarts a server whose request goes 3 minutes without a byte, as mlx-lm's keepalive
 * comments during its prefill prevent. A prompt of one piece or less goes to LlamaChat as it is.
 */
async function prefillInPieces(
  sequence: LlamaContextSequence,
  tokens: readonly Token[],
  cached: number,
  piece: number,
  signal: AbortSignal,
  onPiece: (evaluated: number) => void,
): Promise<void> {
  const end = tokens.length - 1;
  if (end - cached <= piece) return;
  if (sequence.nextTokenIndex > cached) await sequence.eraseContextTokenRanges([{ start: cached, end: sequence.nextTokenIndex }]);
  for (let at = cached; at < end; at += piece) {
    if (signal.aborted) throw signal.reason ?? new Error("aborted");
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(at, Math.min(end, at + piece)));
    onPiece(Math.min(end, at + piece));
  }
}

type GenerationMode =
  | { kind: "functions"; history: ChatHistoryItem[]; functions: ChatModelFunctions }
  | { kind: "forced-call"; history: ChatHistoryItem[]; functions?: undefined; grammar: LlamaGrammar; tools: EngineTool[] }
  | { kind: "plain"; history: ChatHistoryItem[]; functions?: undefined; grammar?: LlamaGrammar };

async function generationMode(engine: LoadedEngine, request: EngineRequest, history: ChatHistoryItem[]): Promise<GenerationMode> {
  const choice = request.toolChoice;
  if (choice.type === "required" || choice.type === "function") {
    const tools = choice.type === "function" ? request.tools.filter((t) => t.name === choice.name) : request.tools;
    const grammar = await engine.grammarFor(forcedCallSchema(tools));
    return { kind: "forced-call", history: withInstruction(history, forcedCallInstruction(tools)), grammar, tools };
  }
  if (request.responseFormat) {
    const grammar =
      request.responseFormat.type === "json_schema" ? await engine.grammarFor(jsonSchemaToGbnf(request.responseFormat.schema)) : await engine.jsonGrammar();
    return { kind: "plain", history, grammar };
  }
  if (choice.type === "auto" && request.tools.length > 0) {
    const functions: ChatModelFunctions = Object.fromEntries(
      request.tools.map((tool) => {
        const { params, optional } = toolParametersToGbnf(tool.parameters);
        // The grammar no longer names the optional parameters (toolParametersToGbnf): the description does.
        const description = [tool.description, optional.length > 0 ? `Optional parameters: ${optional.join(", ")}.` : undefined].filter(Boolean).join("\n");
        return [tool.name, { ...(description !== "" ? { description } : {}), params }];
      }),
    );
    return { kind: "functions", history, functions };
  }
  return { kind: "plain", history };
}

/** The tokens LlamaChat will evaluate: the history with the model's turn opened, as its chat wrapper renders it. */
function renderPromptTokens(engine: LoadedEngine, history: ChatHistoryItem[], functions: ChatModelFunctions | undefined): Token[] {
  const open: ChatHistoryItem[] = history.at(-1)?.type === "model" ? history : [...history, { type: "model", response: [] }];
  const { contextText } = engine.chatWrapper.generateContextState({
    chatHistory: open,
    ...(functions ? { availableFunctions: functions, documentFunctionParams: true } : {}),
  });
  return contextText.tokenize(engine.model.tokenizer);
}

/** Up to this many optional parameters a forced call's grammar lists every set of them (2^n variants). */
const EXACT_OPTIONAL_PARAMETERS = 4;

/** `{"name": …, "arguments": …}` for one of the tools, each with its own argument schema. */
function forcedCallSchema(tools: EngineTool[]) {
  const variants = tools.map((tool) => ({
    type: "object" as const,
    // The instruction shows each tool's whole schema: its grammar keeps the keys to the tool's own where they are few.
    properties: { name: { const: tool.name }, arguments: toolParametersToGbnf(tool.parameters, { exactUpTo: EXACT_OPTIONAL_PARAMETERS }).params },
    required: ["name", "arguments"],
    additionalProperties: false,
  }));
  return variants.length === 1 ? variants[0]! : { oneOf: variants };
}

function forcedCallInstruction(tools: EngineTool[]): string {
  const list = tools
    .map((tool) => `- ${tool.name}${tool.description ? `: ${tool.description}` : ""}\n  arguments (JSON Schema): ${JSON.stringify(tool.parameters)}`)
    .join("\n");
  return `Answer with a single tool call, written as JSON {"name": <tool name>, "arguments": {…}}. Tools:\n${list}`;
}

/** The instruction goes into the system message (the first one, or a new one at the start). */
function withInstruction(history: ChatHistoryItem[], instruction: string): ChatHistoryItem[] {
  const first = history[0];
  if (first?.type === "system" && typeof first.text === "string") return [{ type: "system", text: `${first.text}\n\n${instruction}` }, ...history.slice(1)];
  return [{ type: "system", text: instruction }, ...history];
}

function parseForcedCall(text: string, tools: EngineTool[]): { name: string; arguments: string } | undefined {
  try {
    const parsed = JSON.parse(text) as { name?: unknown; arguments?: unknown };
    if (typeof parsed.name !== "string" || !tools.some((t) => t.name === parsed.name)) return undefined;
    return { name: parsed.name, arguments: JSON.stringify(parsed.arguments ?? {}) };
  } catch {
    return undefined;
  }
}

function toolCallId(): string {
  return `call_${randomUUID().replace(/-/g, "").slice(0, 24)}`;
}
