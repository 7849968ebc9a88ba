import type { Llama, LlamaOptions } from "node-llama-cpp";
import { MallexError } from "../shared/mallex-error.js";
import { describeGpuStep, engineBackendLine, type GpuName, type GpuStep } from "../shared/gpu-steps.js";
import { INSTALL_COMMAND } from "./install/install-engine.js";
import type { NodeLlamaCpp } from "./install/import-engine.js";

export interface EngineLlamaOptions {
  /** 0: the CPU backend only; anything else lets node-llama-cpp pick a GPU backend when one works here. */
  gpuLayers?: number | "auto" | "max";
  /**
   * The backends to try, in order (`--gpu-backends`, written by the supervisor after a GPU backend
   * failed): the first that loads is used. Absent: node-llama-cpp's own choice (or the CPU for gpuLayers 0).
   */
  backends?: readonly GpuStep[];
  /** llama.cpp's own log lines worth showing (warnings and errors). */
  onLog?(line: string): void;
  /** mallex's own lines: the backend chosen, and each one of `backends` passed over and why. */
  onNote?(line: string): void;
}

/** What the engine uses of node-llama-cpp to load a backend: the module importEngine loaded (tests give fakes). */
export type LlamaLoader = Pick<NodeLlamaCpp, "getLlama" | "getLlamaGpuTypes" | "LlamaLogLevel">;

/**
 * node-llama-cpp's binary for this platform (CPU, Metal, CUDA or Vulkan: a local source build of it
 * if there is one, else the prebuilt); never a new build from source, which would need a compiler and
 * minutes. The engine and its context plan load it the same way, so the plan sees the backend (and
 * the VRAM) the engine will run on.
 */
export async function getEngineLlama(options: EngineLlamaOptions, nodeLlamaCpp: LlamaLoader): Promise<Llama> {
  const { LlamaLogLevel } = nodeLlamaCpp;
  const common: LlamaOptions = {
    build: "never",
    logLevel: LlamaLogLevel.warn,
    logger: (level, message) => {
      // The tiny and older GGUFs trip harmless tokenizer warnings on every load.
      if ((level === LlamaLogLevel.error || level === LlamaLogLevel.warn) && !/bad special token|possible training context overflow/.test(message))
        options.onLog?.(message.trim());
    },
  };
  const say = (llama: Llama) => {
    options.onNote?.(engineBackendLine(llama.gpu, llama.buildType));
    return llama;
  };
  if (options.backends === undefined || options.gpuLayers === 0) {
    try {
      return say(await nodeLlamaCpp.getLlama({ ...common, gpu: options.gpuLayers === 0 ? false : "auto" }));
    } catch (error) {
      throw noBinary(error);
    }
  }
  const supported: ReadonlyArray<GpuName | false> = await nodeLlamaCpp.getLlamaGpuTypes("supported").catch(() => [false as const]);
  const passed: string[] = [];
  for (const step of options.backends) {
    if (step.gpu !== false && !supported.includes(step.gpu)) {
      passed.push(`${describeGpuStep(step)}: node-llama-cpp finds no ${step.gpu} driver and libraries here`);
      continue;
    }
    try {
      // progressLogs off: a step that is not there is said once, below, not in node-llama-cpp's words too.
      const llama = await nodeLlamaCpp.getLlama({
        ...common,
        gpu: step.gpu,
        progressLogs: false,
        ...(step.gpu !== false && step.localOnly ? { usePrebuiltBinaries: false } : {}),
      });
      for (const line of passed) options.onNote?.(`passed over ${line}`);
      return say(llama);
    } catch (error) {
      passed.push(`${describeGpuStep(step)}: ${firstLine(error)}`);
    }
  }
  throw new MallexError(
    "E_ENGINE",
    `the embedded engine can load none of the backends it was given (${passed.join("; ")}): \`${INSTALL_COMMAND}\` installs node-llama-cpp's prebuilt binaries for the GPUs it finds here, or use another backend (--backend-url).`,
  );
}

function noBinary(error: unknown): MallexError {
  return new MallexError(
    "E_ENGINE",
    `the embedded engine has no llama.cpp binary for ${process.platform}-${process.arch} (${firstLine(error)}): \`${INSTALL_COMMAND}\` installs node-llama-cpp's prebuilt binaries for this machine, or use another backend (--backend-url).`,
    { cause: error },
  );
}

function firstLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split("\n")[0]!.trim().replace(/\.$/, "");
}

/** On the CPU, llama.cpp's flash attention makes each new token slower as the context fills (measured: 52 vs 265 tok/s at 4.4 K tokens); on a GPU it is the faster path. */
export function usesFlashAttention(llama: Llama): boolean {
  return llama.gpu !== false;
}
