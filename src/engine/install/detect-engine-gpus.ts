import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { GpuName } from "../../shared/gpu-steps.js";

/** Asks node-llama-cpp, loaded from the folder whose node_modules holds it, which GPU backends this machine has drivers and libraries for. */
export type DetectGpus = (root: string) => Promise<GpuName[]>;

const SCRIPT = `const m = await import(process.argv[1]); process.stdout.write(JSON.stringify(await m.getLlamaGpuTypes("supported")));`;

/**
 * node-llama-cpp's own answer (getLlamaGpuTypes("supported"): the CUDA driver and runtime, the Vulkan
 * loader, an Apple chip), the one its `gpu: "auto"` acts on, so mallex fetches the binaries the engine
 * will then pick. In a child process: whoever installs (the proxy, at `mallex run`) never loads
 * node-llama-cpp itself, and the folder it comes from is about to be moved into place.
 */
export const detectEngineGpus: DetectGpus = async (root) => {
  const entry = createRequire(join(root, "package.json")).resolve("node-llama-cpp");
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", SCRIPT, "--", pathToFileURL(entry).href],
      { timeout: 60_000, maxBuffer: 64 * 1024 },
      (error, out, stderr) => {
        if (error) reject(new Error(`node-llama-cpp could not say which GPUs this machine has: ${(stderr.trim().split("\n").at(-1) ?? "") || error.message}`));
        else resolve(out);
      },
    );
  });
  const types = JSON.parse(stdout) as unknown[];
  return types.filter((type): type is GpuName => type === "cuda" || type === "vulkan" || type === "metal");
};
