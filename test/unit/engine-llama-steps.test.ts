import { LlamaLogLevel, type Llama, type LlamaOptions } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { getEngineLlama, type LlamaLoader } from "../../src/engine/get-engine-llama.js";
import { parseGpuSteps } from "../../src/shared/gpu-steps.js";

/**
 * The engine's choice of llama.cpp backend with node-llama-cpp faked at its seam: getLlama (which
 * throws NoBinaryFoundError, "No binary found", when it has no binary for what was asked with
 * build: "never") and getLlamaGpuTypes("supported").
 */
function fakeMachine(machine: { gpus: Array<"cuda" | "vulkan" | "metal">; localBuilds?: string[]; prebuilts?: string[] }) {
  const asked: LlamaOptions[] = [];
  const loader: LlamaLoader = {
    LlamaLogLevel,
    getLlamaGpuTypes: async () => [...machine.gpus, false],
    getLlama: (async (options: LlamaOptions) => {
      asked.push(options);
      const gpu = options.gpu as "cuda" | "vulkan" | "metal" | false | "auto";
      if (gpu === false) return { gpu: false, buildType: "prebuilt" } as unknown as Llama;
      if (gpu === "auto") return { gpu: machine.gpus[0] ?? false, buildType: "prebuilt" } as unknown as Llama;
      if (machine.localBuilds?.includes(gpu)) return { gpu, buildType: "localBuild" } as unknown as Llama;
      if (options.usePrebuiltBinaries !== false && (machine.prebuilts ?? machine.gpus).includes(gpu)) return { gpu, buildType: "prebuilt" } as unknown as Llama;
      throw new Error("No binary found");
    }) as LlamaLoader["getLlama"],
  };
  return { loader, asked };
}

describe("getEngineLlama with --gpu-backends: the first backend that loads here", () => {
  it("passes over a source build that is not there and a GPU with no driver, says each in one line, and lands on the CPU", async () => {
    const { loader, asked } = fakeMachine({ gpus: ["cuda"] });
    const notes: string[] = [];
    const llama = await getEngineLlama({ backends: parseGpuSteps("cuda:local,vulkan,cpu"), onNote: (line) => notes.push(line) }, loader);
    expect(llama.gpu).toBe(false);
    // The :local step never lets node-llama-cpp take the prebuilt that failed; Vulkan is not even asked for.
    expect(asked.map((options) => [options.gpu, options.usePrebuiltBinaries, options.build])).toEqual([
      ["cuda", false, "never"],
      [false, undefined, "never"],
    ]);
    expect(notes).toEqual([
      "passed over a local source build of node-llama-cpp for CUDA: No binary found",
      "passed over Vulkan: node-llama-cpp finds no vulkan driver and libraries here",
      "llama.cpp backend: cpu",
    ]);
  });

  it("takes the source build when one was made, and Vulkan where it can run", async () => {
    const built = fakeMachine({ gpus: ["cuda", "vulkan"], localBuilds: ["cuda"] });
    const notes: string[] = [];
    expect((await getEngineLlama({ backends: parseGpuSteps("cuda:local,vulkan,cpu"), onNote: (line) => notes.push(line) }, built.loader)).buildType).toBe(
      "localBuild",
    );
    expect(notes).toEqual(["llama.cpp backend: cuda (local source build)"]);
    const vulkan = fakeMachine({ gpus: ["cuda", "vulkan"] });
    expect((await getEngineLlama({ backends: parseGpuSteps("cuda:local,vulkan,cpu") }, vulkan.loader)).gpu).toBe("vulkan");
  });

  it("with no list, node-llama-cpp's own choice, and its backend line; --gpu-layers 0 is the CPU whatever the list", async () => {
    const { loader, asked } = fakeMachine({ gpus: ["cuda"] });
    const notes: string[] = [];
    expect((await getEngineLlama({ onNote: (line) => notes.push(line) }, loader)).gpu).toBe("cuda");
    expect(notes).toEqual(["llama.cpp backend: cuda (prebuilt binary)"]);
    expect((await getEngineLlama({ gpuLayers: 0, backends: parseGpuSteps("cuda") }, loader)).gpu).toBe(false);
    expect(asked.map((options) => options.gpu)).toEqual(["auto", false]);
  });

  it("none loads: one error naming each backend and why", async () => {
    const { loader } = fakeMachine({ gpus: ["cuda"], prebuilts: [] });
    await expect(getEngineLlama({ backends: parseGpuSteps("cuda,vulkan") }, loader)).rejects.toThrow(
      "the embedded engine can load none of the backends it was given (CUDA: No binary found; Vulkan: node-llama-cpp finds no vulkan driver and libraries here): `mallex engine --install` installs",
    );
  });
});
