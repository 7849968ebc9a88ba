/**
 * `mallex doctor`'s capacity lines: what mallex will send each local backend at once and let wait,
 * and where that comes from — read from a running server (the real discovery against a fake
 * llama-server's /props), set in the config, or the flavor's default.
 */
import { join } from "node:path";
import { singleConfig } from "../../src/config/config-layers.js";
import { afterEach, describe, expect, it } from "vitest";
import { discoverServerFacts } from "../../src/backends/discover-server-facts.js";
import { formatCheck, runDoctor } from "../../src/doctor/run-doctor.js";
import type { DoctorDeps, DoctorOptions } from "../../src/doctor/types.js";
import { startFakeLlamaServer, type FakeFactsServer } from "../fakes/fake-facts-servers.js";
import { packageRoot, writeTree } from "../helpers/config-tree.js";

let server: FakeFactsServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function deps(cwd: string): DoctorDeps {
  const missing = { ok: false, stdout: "", stderr: "", missing: true };
  return {
    cwd,
    env: {},
    packageRoot,
    homedir: "/home/u",
    mallexHome: "/home/u/.mallex",
    detectHardware: async () => ({ platform: "linux", arch: "x64", ramGb: 64, appleSilicon: false }),
    run: async () => missing,
    findPython: async () => ({ tooOld: [] }),
    findClaude: () => undefined,
    fetch: globalThis.fetch,
    checkPort: async () => true,
    exists: () => false,
    fileSize: () => undefined,
    readText: () => undefined,
    readdir: () => [],
    now: () => 0,
    discoverFacts: discoverServerFacts,
  };
}

async function doctorLines(config: string, prefix: string, options: Partial<DoctorOptions> = {}): Promise<string[]> {
  const cwd = writeTree({ "mallex.yaml": config });
  const report = await runDoctor({ config: singleConfig(join(cwd, "mallex.yaml")), requestTimeoutMs: 1000, generateTimeoutMs: 1000, ...options }, deps(cwd));
  return report.checks.filter((check) => check.name.startsWith(prefix)).map(formatCheck);
}
const capacityLines = (config: string, options: Partial<DoctorOptions> = {}) => doctorLines(config, "capacity", options);

const llamaConfig = (url: string, server = "") => `${server}backends:
  llama: { kind: openai, flavor: llama-server, base_url: "${url}" }
  embedded: { kind: openai, flavor: embedded, supervise: { command: "{mallex} engine --model {model} --port {port}" } }
profiles:
  q: { backend: llama, model: /models/q.gguf, size: small }
  e: { backend: embedded, model: /models/e.gguf, size: small, engine: { sequences: 2 } }
tiers:
  low: { profile: e }
  medium: { profile: q }
routing:
  models: [{ match: "*haiku*", tier: low }]
`;

describe("mallex doctor: capacity", () => {
  it("reads a running llama-server's slots from /props; a server mallex starts shows its default until it runs", async () => {
    server = await startFakeLlamaServer({ nCtx: 4096, totalSlots: 6, modelPath: "/models/q.gguf" });
    expect(await capacityLines(llamaConfig(server.url))).toEqual([
      "✓ capacity embedded — 2 request(s) at once (default for embedded), 16 may wait (4 × in flight, at least 16); what its server says is read when mallex starts it",
      "✓ capacity llama — 6 request(s) at once (server: llama-server GET /props), 24 may wait (4 × in flight, at least 16)",
    ]);
    expect(server.requests.some((request) => request.path === "/props")).toBe(true);
  });

  it("says what the config set, and the default of a server it cannot reach", async () => {
    const set = "server: { max_in_flight_per_backend: 2, max_waiting_per_backend: 5 }\n";
    expect(await capacityLines(llamaConfig("http://127.0.0.1:9/v1", set))).toEqual([
      "✓ capacity embedded — 2 request(s) at once (set), 5 may wait (set)",
      "✓ capacity llama — 2 request(s) at once (set), 5 may wait (set)",
    ]);
    expect((await capacityLines(llamaConfig("http://127.0.0.1:9/v1")))[1]).toBe(
      "✓ capacity llama — 4 request(s) at once (default for llama-server), 16 may wait (4 × in flight, at least 16)",
    );
  });
});

describe("mallex doctor: the context a running server holds", () => {
  const contextConfig = (url: string) => `backends:
  llama: { kind: openai, flavor: llama-server, base_url: "${url}" }
profiles:
  big: { backend: llama, model: /models/q.gguf, size: small, context_window: 32768, input_budget: 20000 }
  small: { backend: llama, model: /models/q.gguf, size: small, context_window: 2048 }
  bare: { backend: llama, model: /models/q.gguf, size: small }
tiers:
  low: { profile: small }
  medium: { profile: big }
  high: { profile: bare }
routing:
  models: [{ match: "*haiku*", tier: low }, { match: "*opus*", tier: high }]
`;

  it("warns where the declared context_window is larger (lowered at run time), and says what stands otherwise; asks the server once", async () => {
    // llama-server -c 8192 -np 2: 4,096 tokens per slot.
    server = await startFakeLlamaServer({ nCtx: 4096, totalSlots: 2, modelPath: "/models/q.gguf" });
    expect(await doctorLines(contextConfig(server.url), "context")).toEqual([
      "✓ context small — its server holds 4096 tokens (llama-server GET /props); context_window 2048 stands",
      "! context big — its server holds 4096 tokens (llama-server GET /props), less than its context_window 32768: lowered to 4096 at run time, prompt budget 3072 (set context_window: 4096 on profile big (or start its server with a larger context))",
      "✓ context bare — its server holds 4096 tokens (llama-server GET /props); no context_window declared: mallex uses 4096, prompt budget 3072",
    ]);
    // One model on one backend: one reading for its capacity line and its three profiles' context lines.
    expect(server.requests.filter((request) => request.path === "/props")).toHaveLength(1);
  });

  it("says nothing of the context where no running server was read (one it cannot reach)", async () => {
    const lines = await doctorLines(contextConfig("http://127.0.0.1:9/v1"), "c");
    expect(lines[0]).toMatch(/^✓ config/);
    expect(lines.filter((line) => line.startsWith("✓ context"))).toEqual([]);
  });
});
