import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { findFreePort } from "../../src/supervisor/supervisor-deps.js";
import { packageRoot } from "./config-tree.js";
import { MALLEX_BIN } from "./run-cli.js";

/**
 * A folder holding a copy of the shipped config (mallex.yaml and its templates), for a proxy started
 * without --config: it compiles into a generated/ of its own, never the repository's, which other
 * test files read meanwhile.
 */
function shippedConfigCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-project-"));
  cpSync(join(packageRoot, "mallex.yaml"), join(dir, "mallex.yaml"));
  cpSync(join(packageRoot, "templates"), join(dir, "templates"), { recursive: true });
  return dir;
}

export interface MallexProxyProcess {
  url: string;
  process: ResultPromise;
  output(): string;
  stop(): Promise<void>;
}

/** `mallex proxy --port N …args` as a real process, with `env` added; resolves once GET /health answers 200. */
export async function startProxyProcess(args: string[], mallexHome = mkdtempSync(join(tmpdir(), "mallex-state-")), env: Record<string, string> = {}): Promise<MallexProxyProcess> {
  const port = await findFreePort();
  const child = execa("node", [MALLEX_BIN, "proxy", "--port", String(port), ...args], {
    cwd: shippedConfigCopy(),
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
