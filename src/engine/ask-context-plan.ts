import { execFile } from "node:child_process";
import { MallexError } from "../shared/mallex-error.js";
import type { ContextPlan, ContextPlanOptions } from "./plan-engine-context.js";

export interface AskContextPlanOptions extends ContextPlanOptions {
  /** The words that run this mallex (mallexArgv()). */
  mallex: readonly string[];
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

/**
 * Asks `mallex engine --plan` for the context the engine will hold, before the engine (and Claude
 * Code) start. A child process rather than the proxy itself: planning loads llama.cpp's backend, which
 * would stay in the proxy for its whole life (measured on 2 vCPUs: +72 MB RSS and ~1.3 s either way),
 * and a GPU backend that aborts must take down a throwaway process, not mallex.
 */
export async function askContextPlan(options: AskContextPlanOptions): Promise<ContextPlan> {
  const [program, ...words] = options.mallex;
  const args = [...words, "engine", "--model", options.modelPath, "--plan"];
  if (options.sequences !== undefined) args.push("--parallel", String(options.sequences));
  if (options.gpuLayers !== undefined) args.push("--gpu-layers", String(options.gpuLayers));
  if (options.batchSize !== undefined) args.push("--batch-size", String(options.batchSize));
  if (options.maxContextSize !== undefined) args.push("--max-ctx-size", String(options.maxContextSize));
  const { stdout, stderr, error } = await new Promise<{ stdout: string; stderr: string; error: Error | null }>((resolve) => {
    execFile(program!, args, { env: options.env ?? process.env, timeout: options.timeoutMs ?? 120_000, maxBuffer: 1 << 20 }, (error, stdout, stderr) =>
      resolve({ stdout, stderr, error }),
    );
  });
  if (error) {
    const why =
      stderr
        .split("\n")
        .map((line) => line.trim())
        .filter(Boolean)
        .at(-1) ?? error.message;
    throw new MallexError("E_ENGINE", `cannot size the embedded engine's context for ${options.modelPath}: ${why.replace(/^(mallex( engine)?: )+/, "")}`, {
      cause: error,
    });
  }
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as ContextPlan;
  } catch (cause) {
    throw new MallexError("E_ENGINE", `mallex engine --plan printed no plan (${JSON.stringify(line.slice(0, 200))})`, { cause });
  }
}
