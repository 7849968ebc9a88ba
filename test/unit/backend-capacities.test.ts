import { describe, expect, it } from "vitest";
import { createBackendPools } from "../../src/backends/pool/backend-pool.js";
import { resolveBackends } from "../../src/backends/resolve-backends.js";
import type { ServerFacts } from "../../src/backends/server-facts.js";
import { createBackendCapacities } from "../../src/observe/backend-capacities.js";
import { poolQueueName } from "../../src/backends/pool/pool-queue-name.js";
import { renderMetrics, createMallexMetrics } from "../../src/observe/mallex-metrics.js";
import { compileTree } from "../helpers/config-tree.js";
import { parseExposition, sumOf } from "../helpers/parse-exposition.js";

const CONFIG = `backends:
  llama: { kind: openai, flavor: llama-server, urls: ["http://a:8080/v1", "http://b:8080/v1"], pool: { probe_interval_s: 0 } }
  mlx: { kind: openai, flavor: mlx-lm, base_url: "http://c:8080/v1" }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com, api_key: "\${ANTHROPIC_API_KEY}" }
profiles:
  q: { backend: llama, model: q.gguf, size: small }
  m: { backend: mlx, model: org/m-4bit, size: medium }
  c: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  low: { profile: q }
  medium: { profile: m }
  high: { profile: c, fallback: medium }
routing:
  models: [{ match: "*haiku*", tier: low }]
`;

describe("createBackendCapacities (the proxy's queues)", () => {
  it("gives each pool server its own queue with its backend's capacity, its own facts where the store has them, and reads the facts at every call", () => {
    const compiled = compileTree({ "mallex.yaml": CONFIG });
    expect(compiled.lines).toEqual([]);
    const table = compiled.table!;
    const backends = resolveBackends(table, {});
    const pools = createBackendPools(backends, { log: () => {} });
    const facts = new Map<string, ServerFacts>();
    const capacities = createBackendCapacities({ table, backends, pools, serverFacts: () => ({ get: (name) => facts.get(name) }) });
    const a = poolQueueName("llama", "http://a:8080/v1");
    const b = poolQueueName("llama", "http://b:8080/v1");
    expect(capacities.all().map(({ queue, maxInFlight, source }) => [queue, maxInFlight, source])).toEqual([
      [a, 4, "default for llama-server"],
      [b, 4, "default for llama-server"],
      ["mlx", 32, "default for mlx-lm"],
    ]);
    // The backend's facts hold for its servers; a server's own facts for it alone. Read as they arrive.
    facts.set("llama", { parallel: 2, source: "llama-server GET /props" });
    facts.set(b, { parallel: 8, source: "llama-server GET /props" });
    expect(capacities.limitsFor(a)).toMatchObject({ maxInFlight: 2, maxWaiting: 16, source: "server: llama-server GET /props" });
    expect(capacities.limitsFor(b)).toMatchObject({ maxInFlight: 8, maxWaiting: 32 });
    // mallex's own calls (the classifier's) queue under the backend's name.
    expect(capacities.limitsFor("llama")).toMatchObject({ maxInFlight: 2 });

    // /metrics: a pool's capacity is its servers' together.
    const samples = parseExposition(renderMetrics(createMallexMetrics(), { capacities }));
    expect(sumOf(samples, "mallex_backend_capacity", { backend: "llama" })).toBe(10);
    expect(sumOf(samples, "mallex_backend_capacity", { backend: "mlx" })).toBe(32);
    expect(samples.some((sample) => sample.labels.backend === "anthropic")).toBe(false);
    pools.close();
  });
});
