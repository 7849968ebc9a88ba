/**
 * The real `mlx_lm.server` from the model kit, serving the kit's MLX folder on a free port: started
 * the way mallex's supervisor starts it on Linux (HF_HUB_OFFLINE=1, the system OpenBLAS preloaded
 * when there is one), ready once a 1-token generation answers, stopped with its process group.
 */
import { execa, type ResultPromise } from "execa";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { findFreePort } from "../../src/supervisor/supervisor-deps.js";
import { planOpenBlasPreload } from "../../src/supervisor/preload-openblas.js";
import { kit } from "./model-kit.js";

export interface RealMlxServer {
  /** Base URL ending in /v1. */
  url: string;
  pid: number;
  /** Everything it printed so far (its log lines go to stderr). */
  output(): string;
  stop(): Promise<void>;
}

/** The kit venv's folder: what a test's `supervise.venv` points at, so nothing is installed. */
export const kitVenv = (): string => dirname(dirname(kit().python));

/** LD_PRELOAD with the system OpenBLAS, as the supervisor sets it (preload-openblas.ts); empty when there is none. */
export function openBlasEnv(): Record<string, string> {
  const plan = planOpenBlasPreload({ platform: process.platform, arch: process.arch, exists: existsSync, ldPreload: process.env.LD_PRELOAD });
  return plan?.kind === "preload" ? { LD_PRELOAD: plan.ldPreload } : {};
}

export async function startRealMlxServer(options: { args?: string[]; env?: Record<string, string>; offline?: boolean } = {}): Promise<RealMlxServer> {
  const port = await findFreePort();
  const env = { PYTHONUNBUFFERED: "1", ...openBlasEnv(), ...(options.offline === false ? {} : { HF_HUB_OFFLINE: "1" }), ...options.env };
  const child: ResultPromise = execa(
    `${kitVenv()}/bin/mlx_lm.server`,
    ["--model", kit().mlx_model, "--host", "127.0.0.1", "--port", String(port), ...(options.args ?? [])],
    {
      env,
      detached: true,
      reject: false,
      stdin: "ignore",
      all: true,
    },
  );
  let output = "";
  child.all?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = async () => {
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await child;
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const answer = await fetch(`${url}/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ messages: [{ role: "user", content: "Say OK." }], max_tokens: 1 }),
      });
      if (answer.status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`mlx_lm.server did not answer a 1-token generation:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return { url, pid: child.pid!, output: () => output, stop };
}
