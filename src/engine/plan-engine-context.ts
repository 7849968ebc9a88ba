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
  /** What the GGUF's header says of the model, for the settings that fit it (fit-tiers-to-model.ts). */
  model?: ModelFacts;
}

export interface ModelFacts {
  /** general.architecture: "qwen2", "llama", "qwen3moe"… */
  architecture?: string;
  /** general.name */
  name?: string;
  /** Billions of parameters, from general.size_label ("1.5B", "30B-A3B": 30) or the name. */
  paramsB?: number;
}

/** The model's facts from its GGUF header's general.* keys; what is not there stays unknown. */
export function modelFactsOf(metadata: { general?: { architecture?: unknown; name?: unknown; size_label?: unknown } }): ModelFacts {
  const general = metadata.general ?? {};
  const text = (value: unknown) => (typeof value === "string" && value.trim() !== "" ? value.trim() : undefined);
  const architecture = text(general.architecture);
  const name = text(general.name);
  const size = /(?:^|[^\d.])(\d+(?:\.\d+)?)\s*([BM])(?![a-z])/i.exec(text(general.size_label) ?? name ?? "");
  const paramsB = size === null ? undefined : Number(size[1]) / (size[2]!.toUpperCase() === "M" ? 1000 : 1);
  return { ...(architecture ? { architecture } : {}), ...(name ? { name } : {}), ...(paramsB !== undefined && paramsB > 0 ? { paramsB } : {}) };
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
      model: modelFactsOf(info.metadata as Parameters<typeof modelFactsOf>[0]),
    };
  } finally {
    await llama.dispose();
  }
}

/** A context size llama.cpp holds as it is (node-llama-cpp pads any other up, past what was asked for). */
export function padContextDown(size: number): number {
  return Math.max(CONTEXT_PAD, Math.floor(size / CONTEXT_PAD) * CONTEXT_PAD);
}
