import { basename } from "node:path";
import type { ChatWrapper, GbnfJsonSchema, Llama, LlamaGrammar, LlamaModel } from "node-llama-cpp";
import { MallexError } from "../mallex-error.js";
import { createSequencePool, type SequencePool } from "./sequence-pool.js";

export interface EngineOptions {
  /** A local GGUF file (hf: URIs are resolved to one before loading). */
  modelPath: string;
  /** Default: the physical cores. */
  threads?: number;
  /** KV cache tokens per sequence. Default: what fits in memory, up to the model's trained context. */
  contextSize?: number;
  batchSize?: number;
  /** 0: CPU only. Default: auto (what fits on the GPU, if there is one). */
  gpuLayers?: number | "auto" | "max";
  /** Requests generated at once (default 1); more wait in a queue. */
  sequences?: number;
  /** llama.cpp's own log lines worth showing (warnings and errors). */
  onLog?(line: string): void;
}

/** A model loaded into one context, ready to serve requests. */
export interface LoadedEngine {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly chatWrapper: ChatWrapper;
  /** The id /v1/models reports: the GGUF's file name. */
  readonly modelId: string;
  /** Tokens each sequence holds (prompt + answer). */
  readonly contextSize: number;
  readonly pool: SequencePool;
  /** What the engine runs on, for its start-up line. */
  readonly description: string;
  grammarFor(schema: GbnfJsonSchema): Promise<LlamaGrammar>;
  jsonGrammar(): Promise<LlamaGrammar>;
  dispose(): Promise<void>;
}

const GRAMMAR_CACHE_SIZE = 32;

/**
 * Loads node-llama-cpp (its prebuilt binary for this platform: CPU, Metal, CUDA or Vulkan; never a
 * build from source, which would need a compiler and minutes), the model and one context with a
 * sequence per parallel request.
 */
export async function loadEngine(options: EngineOptions): Promise<LoadedEngine> {
  const { getLlama, LlamaChat, LlamaLogLevel, resolveChatWrapper } = await import("node-llama-cpp");
  let llama: Llama;
  try {
    llama = await getLlama({
      build: "never",
      gpu: options.gpuLayers === 0 ? false : "auto",
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        // The tiny and older GGUFs trip harmless tokenizer warnings on every load.
        if ((level === LlamaLogLevel.error || level === LlamaLogLevel.warn) && !/bad special token|possible training context overflow/.test(message)) options.onLog?.(message.trim());
      },
    });
  } catch (error) {
    throw new MallexError("E_ENGINE", `the embedded engine has no llama.cpp binary for ${process.platform}-${process.arch} (${(error as Error).message}): reinstall mallex so npm installs node-llama-cpp's prebuilt package for this platform, or use another backend (--backend-url).`, { cause: error });
  }
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: options.modelPath, ...(options.gpuLayers !== undefined ? { gpuLayers: options.gpuLayers } : {}) });
  } catch (error) {
    await llama.dispose();
    throw new MallexError("E_ENGINE", `cannot load ${options.modelPath}: ${(error as Error).message}`, { cause: error });
  }
  const sequences = options.sequences ?? 1;
  const threads = options.threads ?? llama.cpuMathCores;
  const context = await model
    .createContext({
      sequences,
      threads,
      // On the CPU, llama.cpp's flash attention makes each new token slower as the context fills
      // (measured: 52 vs 265 tok/s at 4.4 K tokens); on a GPU it is the faster path.
      flashAttention: llama.gpu !== false,
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    })
    .catch(async (error: unknown) => {
      await model.dispose();
      await llama.dispose();
      throw new MallexError("E_ENGINE", `cannot create a context for ${basename(options.modelPath)}${options.contextSize ? ` with ${options.contextSize} tokens` : ""}: ${(error as Error).message}. Try a smaller --ctx-size.`, { cause: error });
    });
  const chatWrapper = resolveChatWrapper(model);
  const slots = Array.from({ length: sequences }, () => {
    const sequence = context.getSequence();
    return { sequence, chat: new LlamaChat({ contextSequence: sequence, chatWrapper }) };
  });

  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let json: Promise<LlamaGrammar> | undefined;
  return {
    llama,
    model,
    chatWrapper,
    modelId: basename(options.modelPath),
    contextSize: context.contextSize,
    pool: createSequencePool(slots),
    description: `${basename(options.modelPath)} · ${llama.gpu === false ? "CPU" : llama.gpu} · ${threads} thread${threads === 1 ? "" : "s"} · context ${context.contextSize} × ${sequences} · ${chatWrapper.wrapperName} template`,
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
      await model.dispose();
      await llama.dispose();
    },
  };
}
