import { MallexError } from "../shared/mallex-error.js";
import { checkGgufFile } from "./check-gguf-file.js";
import { getEngineLlama, usesFlashAttention } from "./get-engine-llama.js";
import type { NodeLlamaCpp } from "./install/import-engine.js";

export interface ContextPlanOptions {
  modelPath: string;
  /** Sequences the engine will hold, each with this context (default 1). */
  sequences?: number;
  gpuLayers?: number | "auto" | "max";
  batchSize?: number;
  /** The most worth holding (the profiles' largest declared window); the model's trained context caps it too. */
  maxContextSize?: number;
}

/** What `mallex engine --plan` prints: the context the engine will hold when started with `--ctx-size contextSize`. */
export interface ContextPlan {
  contextSize: number;
  trainContextSize: number;
  sequences: number;
  /** Layers the GPU takes (0 on the CPU). */
  gpuLayers: number;
  /** "cpu", or node-llama-cpp's GPU backend: "cuda", "vulkan", "metal". */
  backend: string;
  /** What bounded it: the trained context, the cap mallex asked for, or free memory. */
  limitedBy: "trained context" | "profile window" | "memory";
  freeRamBytes: number;
  freeVramBytes: number;
}

/** llama.cpp pads a context to 256 cells (GGML_PAD in llama_context); node-llama-cpp pads a requested size up to it. */
const CONTEXT_PAD = 256;

/**
 * The context the engine can hold on this machine, chosen before it starts (so mallex can tell Claude
 * Code): node-llama-cpp's own resolver — the one `createContext({ contextSize: "auto" })` runs — over
 * the GGUF's trained context and the RAM/VRAM left once the model's weights are loaded. Rounded down
 * to llama.cpp's padding, so that `--ctx-size` of it is exactly what the engine then holds.
 *
 * It loads the same llama.cpp backend as the engine (a GPU's free VRAM is known only to it), which is
 * why it runs in a short-lived `mallex engine --plan` process and not in the proxy (see ask-context-plan.ts).
 */
export async function planEngineContext(options: ContextPlanOptions, nodeLlamaCpp: NodeLlamaCpp): Promise<ContextPlan> {
  await checkGgufFile(options.modelPath);
  const { readGgufFileInfo, GgufInsights } = nodeLlamaCpp;
  const llama = await getEngineLlama(options.gpuLayers === undefined ? {} : { gpuLayers: options.gpuLayers }, nodeLlamaCpp);
  try {
    const info = await readGgufFileInfo(options.modelPath, { logWarnings: false }).catch((error: unknown) => {
      throw new MallexError("E_MODEL_SOURCE", `cannot read the GGUF header of ${options.modelPath}: ${(error as Error).message}`, { cause: error });
    });
    const insights = await GgufInsights.from(info, llama);
    const resolver = insights.configurationResolver;
    const flashAttention = usesFlashAttention(llama);
    const sequences = options.sequences ?? 1;
    // llama.loadModel's own choice of layers (it leaves room for a context on the GPU).
    const { gpuLayers } = await resolver.resolveModelGpuLayersV2(options.gpuLayers ?? "auto", { defaultContextFlashAttention: flashAttention });
    const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers });
    const [ram, vram] = await Promise.all([llama.getRamState(), llama.getVramState()]);
    const freeRam = Math.max(0, ram.free - weights.cpuRam);
    const freeVram = Math.max(0, vram.free - weights.gpuVram);
    const trainContextSize = insights.trainContextSize ?? 4096;
    // A cap below the trained context is padded down, or the engine would pad it up past what mallex reports.
    const cap = options.maxContextSize ?? Infinity;
    const max = cap < trainContextSize ? padContextDown(cap) : trainContextSize;
    let resolved: number;
    try {
      resolved = await resolver.resolveContextContextSize(
        { max },
        {
          modelGpuLayers: gpuLayers,
          modelTrainContextSize: trainContextSize,
          flashAttention,
          sequences,
          ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
          getRamState: async () => ({ total: ram.total, free: freeRam }),
          getVramState: async () => ({ total: vram.total, free: freeVram, unifiedSize: vram.unifiedSize }),
        },
      );
    } catch (error) {
      throw new MallexError(
        "E_ENGINE",
        `${options.modelPath} leaves no room for a context on this machine (${(error as Error).message}): free memory, or give a smaller --ctx-size / --parallel`,
        { cause: error },
      );
    }
    const contextSize = resolved >= max ? max : padContextDown(resolved);
    return {
      contextSize,
      trainContextSize,
      sequences,
      gpuLayers,
      backend: llama.gpu === false ? "cpu" : llama.gpu,
      limitedBy: contextSize < max ? "memory" : max < trainContextSize ? "profile window" : "trained context",
      freeRamBytes: freeRam,
      freeVramBytes: freeVram,
    };
  } finally {
    await llama.dispose();
  }
}

/** A context size llama.cpp holds as it is (node-llama-cpp pads any other up, past what was asked for). */
export function padContextDown(size: number): number {
  return Math.max(CONTEXT_PAD, Math.floor(size / CONTEXT_PAD) * CONTEXT_PAD);
}
