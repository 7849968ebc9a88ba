import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { discoverServerFacts } from "../src/backends/discover-server-facts.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

/**
 * discoverServerFacts against the real llama-server (built by scripts/build-llama-server.sh, which
 * .ci/run runs) serving a tiny real GGUF from ../shared/models: what its GET /props really says, per
 * slot, for split and unified KV caches.
 */
const LLAMA_SERVER = fileURLToPath(new URL("../.cache/llama.cpp/build/bin/llama-server", import.meta.url));
const MODEL = sharedPath("models", "llama-2-tiny-random-chatml.gguf");
const built = existsSync(LLAMA_SERVER);
if (!built && process.env.CI) throw new Error(`${LLAMA_SERVER} is missing: .ci/run must run scripts/build-llama-server.sh first`);

describeWithShared(
  "server facts from a real llama-server (skipped until scripts/build-llama-server.sh has run)",
  () => {
    const children: ChildProcess[] = [];
    let split: string;
    let unified: string;
    beforeAll(async () => {
      // The model's trained context is 4096. Two slots split -c 4096 in two; the default slots (4, KV unified) each may use all of it.
      [split, unified] = await Promise.all([
        startLlamaServer(children, ["-c", "4096", "-np", "2", "--alias", "tiny"]),
        startLlamaServer(children, ["-c", "4096"]),
      ]);
    }, 60_000);
    afterAll(async () => {
      await Promise.all(children.map((child) => stop(child)));
    });

    it("reads one slot's context and the slot count from GET /props", async () => {
      expect(await discoverServerFacts({ flavor: "llama-server", baseUrl: split, headers: {}, model: "tiny" })).toEqual({
        contextWindow: 2048,
        parallel: 2,
        model: "tiny",
        source: "llama-server GET /props",
      });
      expect(await discoverServerFacts({ flavor: "llama-server", baseUrl: unified, headers: {} })).toEqual({
        contextWindow: 4096,
        parallel: 4,
        model: MODEL,
        source: "llama-server GET /props",
      });
    });

    it("as a generic server, /v1/models meta.n_ctx: the slot's context, not n_ctx_train", async () => {
      expect(await discoverServerFacts({ flavor: "generic", baseUrl: split, headers: {}, model: "tiny" })).toEqual({
        contextWindow: 2048,
        model: "tiny",
        source: "generic GET /v1/models meta.n_ctx",
      });
    });
  },
  describe.skipIf(!built),
);

/** Starts llama-server on a free loopback port; its OpenAI base URL once /health answers 200. */
async function startLlamaServer(children: ChildProcess[], args: string[]): Promise<string> {
  const port = await freePort();
  const child = spawn(LLAMA_SERVER, ["-m", MODEL, "--host", "127.0.0.1", "--port", String(port), "-t", "1", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const deadline = Date.now() + 45_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${log}`);
    const ready = await fetch(`http://127.0.0.1:${port}/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return `http://127.0.0.1:${port}/v1`;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`llama-server did not become healthy in 45 s:\n${log}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}
