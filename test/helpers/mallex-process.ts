import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type ResultPromise } from "execa";
import { findFreePort } from "../../src/supervisor/supervisor-deps.js";
import { MALLEX_BIN } from "./run-cli.js";

export interface MallexProxyProcess {
  url: string;
  process: ResultPromise;
  output(): string;
  stop(): Promise<void>;
}

/** What a process's JavaScript holds right after a full garbage collection, in bytes (test/helpers/memory-after-gc.cjs). */
export interface MemoryAfterGc {
  /** V8's heap in use. */
  heapUsed: number;
  /** Memory outside the heap that JavaScript objects own (Buffers, ArrayBuffers). */
  external: number;
}

const MEMORY_AFTER_GC = fileURLToPath(new URL("./memory-after-gc.cjs", import.meta.url));

/**
 * `mallex proxy --port N …args` as a real process, with `env` added; resolves once GET /health answers 200.
 * With `memoryAfterGc`, the process can be asked for its memory after a full collection (see {@link memoryAfterGc}).
 */
export async function startProxyProcess(
  args: string[],
  mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-")),
  env: Record<string, string> = {},
  { memoryAfterGc = false }: { memoryAfterGc?: boolean } = {},
): Promise<MallexProxyProcess> {
  const port = await findFreePort();
  const nodeArgs = memoryAfterGc ? ["--expose-gc", "--require", MEMORY_AFTER_GC] : [];
  const child = execa("node", [...nodeArgs, MALLEX_BIN, "proxy", "--port", String(port), ...args], {
    env: { ...env, MALLEX_HOME: mallexHome },
    reject: false,
    stdin: "ignore",
    all: true,
    ipc: memoryAfterGc,
  });
  let output = "";
  child.all?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      // Quoted once it is stopped and its output read to the end: its last lines may still be in the pipe as it exits.
      child.kill("SIGTERM");
      await child;
      throw new Error(`mallex proxy did not become ready:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    process: child,
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      await child;
    },
  };
}

/** The memory of a proxy started with `memoryAfterGc`, read right after a full garbage collection in it. */
export async function memoryAfterGc(proxy: MallexProxyProcess): Promise<MemoryAfterGc> {
  const { getOneMessage, sendMessage } = proxy.process;
  if (getOneMessage === undefined || sendMessage === undefined) throw new Error("the process was not started with memoryAfterGc");
  const reply = getOneMessage();
  await sendMessage("memory-after-gc");
  return (await reply) as unknown as MemoryAfterGc;
}
