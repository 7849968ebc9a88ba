import { describe, expect, it } from "vitest";
import { classifyServerLine } from "../../src/supervisor/classify-server-output.js";
import { nodeLlamaCppCommand } from "../../src/shared/engine-location.js";
import { cpuOnlyArgv, gpuFailureSentence, nextGpuSteps, readGpuFailure, withGpuSteps, type GpuFailure } from "../../src/supervisor/gpu-fallback.js";
import { formatGpuSteps, parseGpuSteps, readEngineBackend, engineBackendLine, type GpuStep } from "../../src/shared/gpu-steps.js";

describe("readGpuFailure: llama.cpp's lines for a GPU backend that cannot run", () => {
  it("reads ggml_cuda_error's message (through the engine's logger) above ggml_abort's line", () => {
    const message = readGpuFailure("mallex engine: llama.cpp: CUDA error: the provided PTX was compiled with an unsupported toolchain.");
    const abort = readGpuFailure("/home/runner/work/node-llama-cpp/node-llama-cpp/llama/llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu:108: CUDA error");
    expect(message).toEqual({ text: "CUDA error: the provided PTX was compiled with an unsupported toolchain", rank: 3, gpu: "cuda" });
    expect(abort).toEqual({ text: "ggml-cuda.cu:108: CUDA error", rank: 1, gpu: "cuda" });
    expect(readGpuFailure("terminate called after throwing an instance of 'vk::DeviceLostError'")?.gpu).toBe("vulkan");
  });

  it("leaves a backtrace line, an ordinary line and CUDA out-of-memory (the OOM retry's) alone", () => {
    expect(readGpuFailure("/lib/x86_64-linux-gnu/libc.so.6(+0x94ac3)[0x7f3a5a094ac3]")).toBeUndefined();
    expect(readGpuFailure("mallex engine: loading model /m/tiny.gguf")).toBeUndefined();
    expect(classifyServerLine("CUDA error: out of memory")).toEqual({ kind: "out-of-memory", text: "CUDA error: out of memory" });
    expect(classifyServerLine("ggml_vulkan: Device lost error")?.kind).toBe("gpu-failure");
  });
});

describe("cpuOnlyArgv: the same server on the CPU alone", () => {
  it("sets an existing GPU-layers flag to 0, in any of llama.cpp's spellings", () => {
    expect(cpuOnlyArgv(["llama-server", "-m", "x.gguf", "-ngl", "99"])).toEqual(["llama-server", "-m", "x.gguf", "-ngl", "0"]);
    expect(cpuOnlyArgv(["/usr/bin/node", "/opt/mallex/bin/mallex.js", "engine", "--gpu-layers", "max"])).toEqual([
      "/usr/bin/node",
      "/opt/mallex/bin/mallex.js",
      "engine",
      "--gpu-layers",
      "0",
    ]);
    expect(cpuOnlyArgv(["llama-server", "--n-gpu-layers=auto"])).toEqual(["llama-server", "--n-gpu-layers=0"]);
  });

  it("adds --gpu-layers 0 for mallex's engine and llama-server, which take it; nothing for a server that does not", () => {
    expect(cpuOnlyArgv(["/usr/bin/node", "/opt/mallex/bin/mallex.js", "engine", "--model", "m.gguf"])).toEqual([
      "/usr/bin/node",
      "/opt/mallex/bin/mallex.js",
      "engine",
      "--model",
      "m.gguf",
      "--gpu-layers",
      "0",
    ]);
    expect(cpuOnlyArgv(["/opt/llama/llama-server", "-m", "x.gguf"])?.slice(-2)).toEqual(["--gpu-layers", "0"]);
    expect(cpuOnlyArgv(["vllm", "serve", "Qwen/Qwen3-8B"])).toBeUndefined();
  });
});

const ENGINE = ["/usr/bin/node", "/opt/mallex/bin/mallex.js", "engine", "--model", "/m/q.gguf", "--port", "4100", "--ctx-size", "65536"];
const PTX: GpuFailure = { text: "CUDA error: the provided PTX was compiled with an unsupported toolchain", rank: 3, gpu: "cuda" };
const VULKAN: GpuFailure = { text: "vk::DeviceLostError'", rank: 2, gpu: "vulkan" };
const steps = (value: string) => parseGpuSteps(value);
const chain = (next: GpuStep[] | undefined) => (next === undefined ? undefined : formatGpuSteps(next));

describe("nextGpuSteps: the fallback chain of mallex's engine", () => {
  it("a CUDA prebuilt that aborts: its local source build, then Vulkan, then the CPU", () => {
    expect(chain(nextGpuSteps(ENGINE, undefined, PTX, { gpu: "cuda", localBuild: false }))).toBe("cuda:local,vulkan,cpu");
  });

  it("each failure moves past the step that failed, and the chain ends: never the same start twice, never a loop", () => {
    let current: GpuStep[] | undefined = undefined;
    const seen: string[] = [];
    // Every GPU binary on this machine aborts: the chain walks down to the CPU and stops there.
    const runs = [
      { failure: PTX, ran: { gpu: "cuda" as const, localBuild: false } },
      { failure: PTX, ran: { gpu: "cuda" as const, localBuild: true } },
      { failure: VULKAN, ran: { gpu: "vulkan" as const, localBuild: false } },
      { failure: VULKAN, ran: { gpu: "vulkan" as const, localBuild: true } },
    ];
    for (const run of runs) {
      current = nextGpuSteps(ENGINE, current, run.failure, run.ran);
      seen.push(chain(current)!);
    }
    expect(seen).toEqual(["cuda:local,vulkan,cpu", "vulkan,cpu", "vulkan:local,cpu", "cpu"]);
    // On the CPU there is nowhere left to go: the failure stands.
    expect(nextGpuSteps(ENGINE, current, VULKAN, { gpu: false, localBuild: false })).toBeUndefined();
    expect(nextGpuSteps(ENGINE, steps("cpu"), PTX, undefined)).toBeUndefined();
  });

  it("a local build that aborts gets no second try at a build; a failure the engine did not name is read from llama.cpp's line", () => {
    expect(chain(nextGpuSteps(ENGINE, undefined, PTX, { gpu: "cuda", localBuild: true }))).toBe("vulkan,cpu");
    // No backend line (an older engine, a lost line): the CUDA error says which, taken as the prebuilt.
    expect(chain(nextGpuSteps(ENGINE, undefined, PTX, undefined))).toBe("cuda:local,vulkan,cpu");
    expect(chain(nextGpuSteps(ENGINE, undefined, { text: "ggml_metal_init: error: x", rank: 2, gpu: "metal" }, { gpu: "metal", localBuild: false }))).toBe(
      "metal:local,cuda,vulkan,cpu",
    );
    // A backend it was not given (the list said vulkan,cpu; CUDA failed): only the CPU is sure.
    expect(chain(nextGpuSteps(ENGINE, steps("vulkan,cpu"), PTX, { gpu: "cuda", localBuild: false }))).toBe("cpu");
  });

  it("llama-server takes no list: the CPU, once; a server with no GPU flag gets nothing", () => {
    const llamaServer = ["/opt/llama/llama-server", "-m", "x.gguf", "-ngl", "99"];
    expect(chain(nextGpuSteps(llamaServer, undefined, PTX, undefined))).toBe("cpu");
    expect(nextGpuSteps(llamaServer, steps("cpu"), PTX, undefined)).toBeUndefined();
    expect(nextGpuSteps(["vllm", "serve", "Qwen/Qwen3-8B"], undefined, PTX, undefined)).toBeUndefined();
  });
});

describe("withGpuSteps: the command of the next start", () => {
  it("gives the engine the list, and turns a planned --ctx-size into --max-ctx-size so the new backend plans it again", () => {
    expect(withGpuSteps(ENGINE, steps("cuda:local,vulkan,cpu"), true)).toEqual([
      ...ENGINE.slice(0, 7),
      "--gpu-backends",
      "cuda:local,vulkan,cpu",
      "--max-ctx-size",
      "65536",
    ]);
    // The CPU alone is --gpu-layers 0 (llama-server's flag too).
    expect(withGpuSteps(ENGINE, steps("cpu"), true)).toEqual([...ENGINE.slice(0, 7), "--gpu-layers", "0", "--max-ctx-size", "65536"]);
  });

  it("keeps a context the user gave, replaces an earlier list, and gives llama-server --gpu-layers 0", () => {
    expect(withGpuSteps(ENGINE, steps("vulkan,cpu"), false)).toEqual([...ENGINE, "--gpu-backends", "vulkan,cpu"]);
    expect(withGpuSteps([...ENGINE, "--gpu-backends", "cuda:local,vulkan,cpu"], steps("vulkan,cpu"), false)).toEqual([
      ...ENGINE,
      "--gpu-backends",
      "vulkan,cpu",
    ]);
    expect(withGpuSteps(["/opt/llama/llama-server", "-m", "x.gguf", "-c", "8192"], steps("cpu"), true)).toEqual([
      "/opt/llama/llama-server",
      "-m",
      "x.gguf",
      "-c",
      "8192",
      "--gpu-layers",
      "0",
    ]);
  });
});

describe("gpuFailureSentence: one sentence with llama.cpp's error, the next step, and how to make a source build", () => {
  // The engine's own node-llama-cpp, wherever it is (nodeLlamaCppCommand): mallex installs it in MALLEX_HOME.
  const NLC = nodeLlamaCppCommand(undefined, "/home/u/.mallex");
  it("runs the engine's node-llama-cpp CLI from any folder, quoted when its path needs it", () => {
    expect(NLC).toBe("npm exec --prefix /home/u/.mallex/engine/node-llama-cpp-3.21.1 -- node-llama-cpp");
    expect(nodeLlamaCppCommand(undefined, "/home/J Doe/.mallex")).toBe(
      'npm exec --prefix "/home/J Doe/.mallex/engine/node-llama-cpp-3.21.1" -- node-llama-cpp',
    );
    expect(
      nodeLlamaCppCommand({ root: "/src/mallex", packageDir: "/src/mallex/node_modules/node-llama-cpp", source: "beside", binaries: [] }, "/home/u/.mallex"),
    ).toBe("npm exec --prefix /src/mallex -- node-llama-cpp");
  });

  it("says the chain and the source-build command after a prebuilt fails", () => {
    expect(gpuFailureSentence("embedded--q.gguf", PTX, steps("cuda:local,vulkan,cpu"), { gpu: "cuda", localBuild: false }, NLC)).toBe(
      "The GPU backend of embedded--q.gguf cannot run here (CUDA error: the provided PTX was compiled with an unsupported toolchain): mallex restarts it on the first of these that loads here: a local source build of node-llama-cpp for CUDA, then Vulkan, then the CPU (--gpu-backends cuda:local,vulkan,cpu). To use CUDA here, build node-llama-cpp for this machine once (`npm exec --prefix /home/u/.mallex/engine/node-llama-cpp-3.21.1 -- node-llama-cpp source build --gpu cuda`; it needs cmake and the CUDA toolkit, and takes minutes): the next mallex uses it.",
    );
  });

  it("names no build after a local build failed, and keeps llama-server's CPU sentence", () => {
    expect(gpuFailureSentence("embedded--q.gguf", PTX, steps("vulkan,cpu"), { gpu: "cuda", localBuild: true }, NLC)).toBe(
      "The GPU backend of embedded--q.gguf cannot run here (CUDA error: the provided PTX was compiled with an unsupported toolchain): mallex restarts it on the first of these that loads here: Vulkan, then the CPU (--gpu-backends vulkan,cpu).",
    );
    expect(gpuFailureSentence("llama--x", PTX, steps("cpu"), undefined, NLC)).toBe(
      "The GPU backend of llama--x cannot run here (CUDA error: the provided PTX was compiled with an unsupported toolchain): mallex restarts it on the CPU (--gpu-layers 0).",
    );
    expect(gpuFailureSentence("vllm--x", PTX, undefined, undefined, NLC)).toMatch(/; start it on the CPU or with a GPU build that matches this driver\.$/);
  });
});

describe("the engine's backend line and --gpu-backends", () => {
  it("reads back what the engine printed", () => {
    expect(readEngineBackend(`mallex engine: ${engineBackendLine("cuda", "prebuilt")}`)).toEqual({ gpu: "cuda", localBuild: false });
    expect(readEngineBackend(`mallex engine: ${engineBackendLine("vulkan", "localBuild")}`)).toEqual({ gpu: "vulkan", localBuild: true });
    expect(readEngineBackend(`mallex engine: ${engineBackendLine(false, "prebuilt")}`)).toEqual({ gpu: false, localBuild: false });
    // A CPU build of node-llama-cpp made here (faster than the prebuilt one: docs/running.md) is named as such.
    expect(engineBackendLine(false, "localBuild")).toBe("llama.cpp backend: cpu (local source build)");
    expect(readEngineBackend(`mallex engine: ${engineBackendLine(false, "localBuild")}`)).toEqual({ gpu: false, localBuild: true });
    expect(readEngineBackend("mallex engine: loading model /m/q.gguf")).toBeUndefined();
    expect(classifyServerLine("mallex engine: llama.cpp backend: cuda (prebuilt binary)")).toEqual({
      kind: "engine-backend",
      backend: { gpu: "cuda", localBuild: false },
    });
  });

  it("parses the list, and refuses a word it does not know", () => {
    expect(parseGpuSteps("CUDA:local, vulkan,cpu")).toEqual([{ gpu: "cuda", localOnly: true }, { gpu: "vulkan", localOnly: false }, { gpu: false }]);
    expect(() => parseGpuSteps("rocm")).toThrow(
      '--gpu-backends takes cuda, vulkan, metal (each may end in :local, its source build only) or cpu, comma-separated; got "rocm"',
    );
    expect(() => parseGpuSteps("cuda:prebuilt")).toThrow(/got "cuda:prebuilt"/);
    expect(() => parseGpuSteps(",")).toThrow("--gpu-backends names no backend");
  });
});
