/**
 * A GPU backend that cannot run: llama.cpp's own lines for it, and where the same server starts next.
 *
 * What llama.cpp prints (ggml/src/ggml-cuda/ggml-cuda.cu `ggml_cuda_error`, then ggml.c `ggml_abort`
 * and a backtrace): `CUDA error: the provided PTX was compiled with an unsupported toolchain.`,
 * `  current device: 0, in function … at …/ggml-cuda.cu:2700`, then `…/ggml-cuda.cu:108: CUDA error`
 * and SIGABRT. The first goes through node-llama-cpp's logger, which may lose it to the abort; the
 * abort line always reaches stderr.
 *
 * The fallback chain of mallex's engine (issue 22): the binary that failed is said by the engine's
 * backend line (gpu-steps.ts `engineBackendLine`), printed before its first token. After a prebuilt
 * GPU binary fails, the next start tries a local source build for that GPU (node-llama-cpp prefers
 * one when it exists, so there was none, or it was made since), then the GPU backends after it in
 * node-llama-cpp's order (Vulkan after CUDA), then the CPU; the engine passes over those this machine
 * cannot load without a restart. Each failure moves past the step that failed, so the chain ends on
 * the CPU: never a loop. llama-server takes no such list: it gets the CPU (--gpu-layers 0).
 */
import { findEngine, nodeLlamaCppCommand } from "../shared/engine-location.js";
import { CPU_STEP, GPU_ORDER, describeGpuStep, formatGpuSteps, gpuLabel, type EngineBackend, type GpuName, type GpuStep } from "../shared/gpu-steps.js";
import { findPackageRoot } from "../shared/package-root.js";
import { CONTEXT_FLAGS } from "./server-command.js";

/** The sentence worth quoting, most specific first; out of memory is not a broken backend (classify-server-output.ts). */
const GPU_FAILURES: ReadonlyArray<{ pattern: RegExp; rank: number; gpu: GpuName }> = [
  { pattern: /\b(CUDA error: .+)$/, rank: 3, gpu: "cuda" },
  { pattern: /\b(ggml_cuda_init: failed to initialize CUDA: .+)$/, rank: 3, gpu: "cuda" },
  { pattern: /\b(CUDA driver version is insufficient for CUDA runtime version.*)$/, rank: 3, gpu: "cuda" },
  { pattern: /\b(ggml_vulkan: .*(?:error|Error|failed).*)$/, rank: 2, gpu: "vulkan" },
  { pattern: /\b(vk::\w*Error\b.*)$/, rank: 2, gpu: "vulkan" },
  { pattern: /\b(ggml_metal\w*: error: .+)$/, rank: 2, gpu: "metal" },
  { pattern: /([\w.-]*ggml-cuda\.cu:\d+: CUDA error)\s*$/, rank: 1, gpu: "cuda" },
];

export interface GpuFailure {
  /** llama.cpp's line, as it said it. */
  text: string;
  /** A more specific line (the CUDA error's own message) outranks the abort line. */
  rank: number;
  /** The GPU backend the line comes from. */
  gpu: GpuName;
}

/** The GPU failure a server output line reports; undefined for any other line. */
export function readGpuFailure(line: string): GpuFailure | undefined {
  for (const { pattern, rank, gpu } of GPU_FAILURES) {
    const match = pattern.exec(line.trim());
    if (match) return { text: match[1]!.trim().replace(/\.$/, ""), rank, gpu };
  }
  return undefined;
}

const GPU_LAYER_FLAGS = ["--gpu-layers", "-ngl", "--n-gpu-layers"];

/** `node …/mallex.js engine …` (or an installed `mallex engine …`): mallex's own engine, which takes --gpu-backends. */
export function isMallexEngine(argv: readonly string[]): boolean {
  return argv.some((word, i) => word === "engine" && /mallex(\.js)?$/.test(argv[i - 1] ?? ""));
}

/**
 * The same command on the CPU alone: `--gpu-layers 0`, which mallex's engine and llama-server both
 * take (llama.cpp common/arg.cpp: -ngl, --gpu-layers, --n-gpu-layers). Undefined for a server that
 * takes no such flag (mlx-lm, vLLM): it gets no fallback, only the sentence.
 */
export function cpuOnlyArgv(argv: readonly string[]): string[] | undefined {
  if (argv.some((word) => /^--(?:n-)?gpu-layers=/.test(word))) return argv.map((word) => word.replace(/^(--(?:n-)?gpu-layers)=.*$/, "$1=0"));
  const at = argv.findIndex((word) => GPU_LAYER_FLAGS.includes(word));
  if (at >= 0 && at + 1 < argv.length) return argv.map((word, i) => (i === at + 1 ? "0" : word));
  const program = argv[0]?.split("/").at(-1) ?? "";
  return isMallexEngine(argv) || /^llama-server/.test(program) ? [...argv, "--gpu-layers", "0"] : undefined;
}

/**
 * After a GPU failure: the backends the next start tries, in order, or undefined when there is
 * nowhere left to go (the server takes no GPU flag, or it was on its last step already).
 *
 * `current`: the steps this start was given (undefined: node-llama-cpp's own choice). `ran`: the
 * binary the engine said it loaded, else what the failure's line names (a prebuilt, as far as known).
 */
export function nextGpuSteps(
  argv: readonly string[],
  current: readonly GpuStep[] | undefined,
  failure: GpuFailure,
  ran: EngineBackend | undefined,
): GpuStep[] | undefined {
  if (cpuOnlyArgv(argv) === undefined) return undefined;
  const onCpu = current !== undefined && current.every((step) => step.gpu === false);
  if (onCpu || ran?.gpu === false) return undefined;
  if (!isMallexEngine(argv)) return [CPU_STEP];
  const failed = ran ?? { gpu: failure.gpu, localBuild: false };
  const gpu = failed.gpu as GpuName;
  let rest: GpuStep[];
  if (current === undefined) {
    rest = [...GPU_ORDER.slice(GPU_ORDER.indexOf(gpu) + 1).map((name): GpuStep => ({ gpu: name, localOnly: false })), CPU_STEP];
  } else {
    const at = current.findIndex((step) => step.gpu === gpu && (!step.localOnly || failed.localBuild));
    // A backend it was not given: only the CPU is sure not to be it.
    if (at < 0) return [CPU_STEP];
    rest = current.slice(at + 1);
  }
  // A prebuilt failed: a source build for this machine's toolchain is worth one try, first.
  const localTried = current?.some((step) => step.gpu === gpu && step.localOnly) ?? false;
  if (!failed.localBuild && !localTried) rest = [{ gpu, localOnly: true }, ...rest];
  return rest.length === 0 ? undefined : rest;
}

/**
 * The command for the next start: `--gpu-backends LIST` for mallex's engine (`--gpu-layers 0` when
 * the list is the CPU alone, which llama-server takes too). A context that was planned for the
 * backend that failed (`--ctx-size N`, spec.plannedContext) becomes `--max-ctx-size N`: the engine
 * plans it again from what the backend it lands on has free, never above what mallex already told
 * Claude Code, and reports it on /props, which the proxy reads after each start.
 */
export function withGpuSteps(argv: readonly string[], steps: readonly GpuStep[], plannedContext: boolean): string[] {
  if (!isMallexEngine(argv)) return cpuOnlyArgv(argv) ?? [...argv];
  let next = steps.every((step) => step.gpu === false) ? (cpuOnlyArgv(argv) ?? [...argv]) : setFlag(argv, "--gpu-backends", formatGpuSteps(steps));
  if (plannedContext) {
    const at = next.findIndex((word) => CONTEXT_FLAGS.includes(word));
    if (at >= 0 && /^\d+$/.test(next[at + 1] ?? "")) next = [...next.slice(0, at), ...next.slice(at + 2), "--max-ctx-size", next[at + 1]!];
  }
  return next;
}

function setFlag(argv: readonly string[], flag: string, value: string): string[] {
  const at = argv.indexOf(flag);
  return at >= 0 && at + 1 < argv.length ? argv.map((word, i) => (i === at + 1 ? value : word)) : [...argv, flag, value];
}

/**
 * One sentence for the user and the log: what failed in llama.cpp's words, and where it starts next.
 * `nodeLlamaCpp`: the words that run the engine's own node-llama-cpp CLI (nodeLlamaCppCommand), whose
 * source build the engine then loads.
 */
export function gpuFailureSentence(
  key: string,
  failure: GpuFailure,
  next: readonly GpuStep[] | undefined,
  ran: EngineBackend | undefined,
  nodeLlamaCpp: string,
): string {
  const what = `The GPU backend of ${key} cannot run here (${failure.text})`;
  const gpu = ran?.gpu === false ? undefined : (ran?.gpu ?? failure.gpu);
  // Only node-llama-cpp builds from source; a llama-server is the user's own build.
  const build =
    next !== undefined && next.length > 1 && gpu !== undefined && ran?.localBuild !== true
      ? ` To use ${gpuLabel(gpu)} here, build node-llama-cpp for this machine once (\`${nodeLlamaCpp} source build --gpu ${gpu}\`; it needs cmake and the ${gpu === "cuda" ? "CUDA toolkit" : `${gpuLabel(gpu)} SDK`}, and takes minutes): the next mallex uses it.`
      : "";
  if (next === undefined) return `${what}; start it on the CPU or with a GPU build that matches this driver.`;
  if (next.every((step) => step.gpu === false)) return `${what}: mallex restarts it on the CPU (--gpu-layers 0).${build}`;
  return `${what}: mallex restarts it on the first of these that loads here: ${next.map(describeGpuStep).join(", then ")} (--gpu-backends ${formatGpuSteps(next)}).${build}`;
}

/** The engine's node-llama-cpp CLI as this mallex finds it (beside it, or in MALLEX_HOME): for gpuFailureSentence. */
export function engineCommand(mallexHome: string): string {
  return nodeLlamaCppCommand(findEngine(findPackageRoot(), mallexHome).found, mallexHome);
}
