import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { findFreePort } from "../../src/supervisor/supervisor-deps.js";
import { MALLEX_BIN } from "./run-cli.js";

export interface MallexProxyProcess {
  url: string;
  process: ResultPromise;
  output(): string;
  stop(): Promise<void>;
}

/** `mallex proxy --port N …args` as a real process, with `env` added; resolves once GET /health answers 200. */
export async function startProxyProcess(
  args: string[],
  mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-")),
  env: Record<string, string> = {},
): Promise<MallexProxyProcess> {
  const port = await findFreePort();
  const child = execa("node", [MALLEX_BIN, "proxy", "--port", String(port), ...args], {
    env: { ...env, MALLEX_HOME: mallexHome },
    reject: false,
    stdin: "ignore",
    all: true,
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
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`mallex proxy did not become ready:\n${output}`);
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
