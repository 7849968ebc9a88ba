#!/usr/bin/env node
// @ts-check
/**
 * mallex's engine on a GPU machine whose llama.cpp binaries may be broken, for the supervisor's
 * fallback chain (src/supervisor/gpu-fallback.ts). Named mallex.js and run as `node …/mallex.js
 * engine …` so the supervisor takes it for the engine, as it does `{mallex} engine`.
 *
 *   node mallex.js engine --model M --host H --port P [--gpu-backends LIST] [--gpu-layers N]
 *     [--ctx-size N] [--max-ctx-size N] [--threads N]
 *     --fake-gpus cuda,vulkan        the GPU types node-llama-cpp finds drivers for (getLlamaGpuTypes)
 *     [--fake-local-builds cuda]     local source builds present (llama/localBuilds)
 *     [--fake-broken cuda:prebuilt,vulkan:prebuilt]   binaries that abort on the first token
 *     [--real-engine]                on the CPU, run the real `bin/mallex.js engine` (needs npm run build)
 *
 * It picks a backend the way the engine does (src/engine/get-engine-llama.ts over node-llama-cpp's
 * getLlama: a local build before the prebuilt, GPUs in node-llama-cpp's order, `:local` steps
 * without the prebuilt, steps this machine lacks passed over), prints the engine's backend line,
 * and then either dies as the broken binary does — llama.cpp's own lines (ggml-cuda.cu
 * ggml_cuda_error + ggml_abort; a Vulkan device loss is a C++ exception, terminate() and abort) and
 * SIGABRT — or serves: as the fake mlx-lm server, or (--real-engine, on the CPU) as the real engine.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { main, processIO } from "../mlx-lm-server-cli.js";

const args = process.argv.slice(2);
/** @param {string} name */
const take = (name) => {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
/** @param {string} name */
const flag = (name) => {
  const at = args.indexOf(name);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const list = (/** @type {string | undefined} */ value) => (value ?? "").split(",").filter(Boolean);
const gpus = list(take("--fake-gpus"));
const local = list(take("--fake-local-builds"));
const broken = list(take("--fake-broken"));
const realEngine = flag("--real-engine");
const say = (/** @type {string} */ line) => process.stderr.write(`mallex engine: ${line}\n`);

const ORDER = ["metal", "cuda", "vulkan"];
const backendsAt = args.indexOf("--gpu-backends");
const layersAt = args.indexOf("--gpu-layers");
const cpuOnly = layersAt >= 0 && args[layersAt + 1] === "0";
/** @type {Array<{ gpu: string | false, localOnly: boolean }>} */
const steps = cpuOnly
  ? [{ gpu: false, localOnly: false }]
  : backendsAt >= 0
    ? list(args[backendsAt + 1]).map((word) =>
        word === "cpu" ? { gpu: false, localOnly: false } : { gpu: word.split(":")[0] ?? "", localOnly: word.endsWith(":local") },
      )
    : [...ORDER.filter((gpu) => gpus.includes(gpu)).map((gpu) => ({ gpu, localOnly: false })), { gpu: false, localOnly: false }];

/** @type {{ gpu: string | false, build: "local" | "prebuilt" } | undefined} */
let chosen;
for (const step of steps) {
  if (step.gpu === false) {
    chosen = { gpu: false, build: "prebuilt" };
    break;
  }
  if (!gpus.includes(step.gpu)) {
    say(`passed over ${step.gpu}: node-llama-cpp finds no ${step.gpu} driver and libraries here`);
    continue;
  }
  if (step.localOnly && !local.includes(step.gpu)) {
    say(`passed over ${step.gpu}:local: NoBinaryFoundError`);
    continue;
  }
  chosen = { gpu: step.gpu, build: local.includes(step.gpu) ? "local" : "prebuilt" };
  break;
}
if (chosen === undefined) {
  say("the embedded engine can load none of the backends it was given");
  process.exit(1);
}
// The real engine says its own lines.
if (!(chosen.gpu === false && realEngine)) {
  say(`loading model ${args[args.indexOf("--model") + 1]}`);
  say(
    chosen.gpu === false
      ? "llama.cpp backend: cpu"
      : `llama.cpp backend: ${chosen.gpu} (${chosen.build === "local" ? "local source build" : "prebuilt binary"})`,
  );
}

if (chosen.gpu !== false && broken.includes(`${chosen.gpu}:${chosen.build}`)) {
  if (chosen.gpu === "cuda") {
    const source = "/home/runner/work/node-llama-cpp/node-llama-cpp/llama/llama.cpp/ggml/src/ggml-cuda/ggml-cuda.cu";
    say("llama.cpp: CUDA error: the provided PTX was compiled with an unsupported toolchain.");
    say(`llama.cpp: current device: 0, in function ggml_cuda_compute_forward at ${source}:2700`);
    process.stderr.write(`${source}:108: CUDA error\n/lib/x86_64-linux-gnu/libc.so.6(+0x94ac3)[0x7f3a5a094ac3]\n`);
  } else {
    process.stderr.write("terminate called after throwing an instance of 'vk::DeviceLostError'\n  what():  vk::Queue::submit: ErrorDeviceLost\n");
  }
  process.kill(process.pid, "SIGABRT");
} else if (chosen.gpu === false && realEngine) {
  const bin = fileURLToPath(new URL("../../../bin/mallex.js", import.meta.url));
  const child = spawn(process.execPath, [bin, ...args], { stdio: "inherit" });
  for (const signal of /** @type {const} */ (["SIGTERM", "SIGINT"])) process.on(signal, () => child.kill(signal));
  child.on("exit", (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  });
} else {
  const keep = ["--model", "--host", "--port"].flatMap((name) => {
    const at = args.indexOf(name);
    return at >= 0 ? [name, args[at + 1] ?? ""] : [];
  });
  await main(keep, processIO);
}
