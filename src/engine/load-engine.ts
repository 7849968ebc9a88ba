import { basename } from "node:path";
import type { ChatWrapper, GbnfJsonSchema, Llama, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { MallexError } from "../shared/mallex-error.js";
import { defaultThreads } from "../shared/default-threads.js";
import { functionsAfterFirstSystem } from "./functions-after-first-system.js";
import { getEngineLlama, usesFlashAttention } from "./get-engine-llama.js";
import type { GpuStep } from "../shared/gpu-steps.js";
import type { NodeLlamaCpp } from "./install/import-engine.js";
import { padContextDown } from "./plan-engine-context.js";
import { createSequencePool, type SequencePool } from "./sequence-pool.js";
import { createTokenPredictor, type Speculation } from "./token-predictor.js";

export interface EngineOptions {
  /** node-llama-cpp, as importEngine loaded it (from beside mallex or MALLEX_HOME). */
  nodeLlamaCpp: NodeLlamaCpp;
  /** A local GGUF file (hf: URIs are resolved to one before loading). */
  modelPath: string;
  /** Default: defaultThreads (every physical core; one for a tiny model). */
  threads?: number;
  /** KV cache tokens per sequence. Default: what fits in memory, up to the model's trained context (and maxContextSize). */
  contextSize?: number;
  /**
   * With no contextSize: hold what fits on the backend it loads, up to this. The supervisor gives a
   * planned context this way after a GPU backend failed, so the fallback's context is planned again
   * from its own memory (RAM for the CPU) instead of the VRAM the first plan saw.
   */
  maxContextSize?: number;
  batchSize?: number;
  /** A prompt longer than this is prefilled in pieces of it, each reported (generate-completion.ts). Default 512. */
  prefillPieceTokens?: number;
  /** 0: CPU only. Default: auto (what fits on the GPU, if there is one). */
  gpuLayers?: number | "auto" | "max";
  /** The backends to try in order (`--gpu-backends`, see gpu-steps.ts); absent: node-llama-cpp's choice. */
  backends?: readonly GpuStep[];
  /** Requests generated at once (default 1); more wait in a queue. */
  sequences?: number;
  /** Tokens guessed ahead for the model to check (token-predictor.ts): a draft GGUF of the same tokenizer, or prompt lookup. */
  speculation?: { kind: "lookup" } | { kind: "draft"; modelPath: string };
  /** llama.cpp's own log lines worth showing (warnings and errors). */
  onLog?(line: string): void;
  /** mallex's own lines about the backend it chose (get-engine-llama.ts). */
  onNote?(line: string): void;
}

/** A model loaded into one context, ready to serve requests. */
export interface LoadedEngine {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly chatWrapper: ChatWrapper;
  /** The id /v1/models reports: the GGUF's file name. */
  readonly modelId: string;
  readonly modelPath: string;
  /** Requests generated at once, each in its own sequence of contextSize tokens. */
  readonly sequences: number;
  /** Tokens each sequence holds (prompt + answer). */
  readonly contextSize: number;
  /** A longer prompt's prefill is evaluated and reported in pieces of this many tokens. */
  readonly prefillPieceTokens: number;
  readonly pool: SequencePool;
  /** What the engine runs on, for its start-up line. */
  readonly description: string;
  grammarFor(schema: GbnfJsonSchema): Promise<LlamaGrammar>;
  jsonGrammar(): Promise<LlamaGrammar>;
  dispose(): Promise<void>;
}

const GRAMMAR_CACHE_SIZE = 32;

/**
 * Loads node-llama-cpp (its prebuilt binary for this platform: see getEngineLlama), the model and one
 * context with a sequence per parallel request.
 */
export async function loadEngine(options: EngineOptions): Promise<LoadedEngine> {
  const { ChatWrapper: BaseChatWrapper, LlamaChat, resolveChatWrapper } = options.nodeLlamaCpp;
  const llama = await getEngineLlama(options, options.nodeLlamaCpp);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: options.modelPath, ...(options.gpuLayers !== undefined ? { gpuLayers: options.gpuLayers } : {}) });
  } catch (error) {
    await llama.dispose();
    throw new MallexError("E_ENGINE", `cannot load ${options.modelPath}: ${(error as Error).message}`, { cause: error });
  }
  const sequences = options.sequences ?? 1;
  const threads = options.threads ?? defaultThreads(llama.cpuMathCores, model.size);
  const context = await model
    .createContext({
      sequences,
      threads,
      flashAttention: usesFlashAttention(llama),
      ...(options.contextSize !== undefined
        ? { contextSize: options.contextSize }
        : options.maxContextSize !== undefined
          ? { contextSize: { max: padContextDown(options.maxContextSize) } }
          : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    })
    .catch(async (error: unknown) => {
      await model.dispose();
      await llama.dispose();
      throw new MallexError(
        "E_ENGINE",
        `cannot create a context for ${basename(options.modelPath)}${options.contextSize ? ` with ${options.contextSize} tokens` : ""}: ${(error as Error).message}. Try a smaller --ctx-size.`,
        { cause: error },
      );
    });
  const chatWrapper = functionsAfterFirstSystem(resolveChatWrapper(model), BaseChatWrapper);
  const speculation = await loadSpeculation(options, llama, { sequences, contextSize: context.contextSize, threads }).catch(async (error: unknown) => {
    await context.dispose();
    await model.dispose();
    await llama.dispose();
    throw error;
  });
  const slots = Array.from({ length: sequences }, () => {
    const sequence = context.getSequence(speculation ? { tokenPredictor: createTokenPredictor(options.nodeLlamaCpp, speculation) } : {});
    return { sequence, chat: new LlamaChat({ contextSequence: sequence, chatWrapper }) };
  });

  if (describeDevice(llama, model) !== "CPU") {
    // A GPU backend that cannot run here (a prebuilt CUDA binary whose PTX is newer than the driver)
    // loads the model and aborts on the first token: one token now makes that happen before the
    // engine listens, where the supervisor reads it as a failed start and restarts it on the CPU.
    const sequence = slots[0]!.sequence;
    await sequence.evaluateWithoutGeneratingNewTokens([model.tokens.bos ?? model.tokenize("Hi")[0]!]);
    await sequence.clearHistory();
  }

  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let json: Promise<LlamaGrammar> | undefined;
  return {
    llama,
    model,
    chatWrapper,
    modelId: basename(options.modelPath),
    modelPath: options.modelPath,
    sequences,
    contextSize: context.contextSize,
    prefillPieceTokens: options.prefillPieceTokens ?? 512,
    pool: createSequencePool(slots),
    description: `${basename(options.modelPath)} · ${describeDevice(llama, model)} · ${threads} thread${threads === 1 ? "" : "s"} · context ${context.contextSize} × ${sequences} · ${chatWrapper.wrapperName} template${describeSpeculation(options.speculation)}`,
    grammarFor(schema) {
      const key = JSON.stringify(schema);
      let grammar = grammars.get(key);
      if (!grammar) {
        grammar = llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>;
        grammars.set(key, grammar);
        if (grammars.size > GRAMMAR_CACHE_SIZE) grammars.delete(grammars.keys().next().value!);
      } else {
        // Most recently used last, so the oldest is evicted first.
        grammars.delete(key);
        grammars.set(key, grammar);
      }
      return grammar;
    },
    jsonGrammar: () => (json ??= llama.getGrammarFor("json")),
    async dispose() {
      await context.dispose();
      if (speculation?.kind === "draft") {
        await speculation.context.dispose();
        await speculation.model.dispose();
      }
      await model.dispose();
      await llama.dispose();
    },
  };
}

/** The draft model and its context (one sequence per slot, as long as the target's), or lookup, or none. */
async function loadSpeculation(
  options: EngineOptions,
  llama: Llama,
  size: { sequences: number; contextSize: number; threads: number },
): Promise<Speculation | undefined> {
  const wanted = options.speculation;
  if (wanted === undefined || wanted.kind === "lookup") return wanted;
  const model = await llama
    .loadModel({ modelPath: wanted.modelPath, ...(options.gpuLayers !== undefined ? { gpuLayers: options.gpuLayers } : {}) })
    .catch((error: unknown) => {
      throw new MallexError("E_ENGINE", `cannot load the draft model ${wanted.modelPath}: ${(error as Error).message}`, { cause: error });
    });
  try {
    const context = await model.createContext({ sequences: size.sequences, contextSize: size.contextSize, threads: size.threads });
    return { kind: "draft", model, context };
  } catch (error) {
    await model.dispose();
    throw new MallexError("E_ENGINE", `cannot create a context for the draft model ${basename(wanted.modelPath)}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function describeSpeculation(speculation: EngineOptions["speculation"]): string {
  if (speculation === undefined) return "";
  return speculation.kind === "lookup" ? " · prompt lookup" : ` · draft ${basename(speculation.modelPath)}`;
}

/** "CPU", or "GPU (cuda, 33/33 layers)": the engine's start line says which one generates. */
function describeDevice(llama: Llama, model: LlamaModel): string {
  if (llama.gpu === false || model.gpuLayers === 0) return "CPU";
  return `GPU (${llama.gpu}, ${model.gpuLayers}/${model.fileInsights.totalLayers} layers)`;
}
