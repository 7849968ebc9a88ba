import { describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import type { ContextPlan, ContextPlanOptions } from "../../src/engine/plan-engine-context.js";
import { defaultThreads } from "../../src/shared/default-threads.js";
import { withEmbeddedModel, withPlannedContexts } from "../../src/server/with-embedded-model.js";
import { supervisedSpec } from "../../src/backends/supervisor-pool.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  mlx: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:8/v1" }
  anthropic: { kind: anthropic, base_url: "https://api.anthropic.com" }
profiles:
  coder: { backend: mlx, model: mlx-community/Coder-4bit, size: small, context_window: 32768, input_budget: 8000 }
  spare: { backend: mlx, model: mlx-community/Spare-4bit, size: small, context_window: 65536, input_budget: 48000 }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  medium: { profile: coder }
  high: { profile: claude, fallback: medium }
`;
const supervision = {
  command: "",
  install: [],
  readiness: { probe: "health" as const, timeoutMs: 1000 },
  idleUnloadMs: 0,
  wedgeTimeoutMs: 1000,
  maxRestarts: 1,
  restartWindowMs: 1000,
  onExit: "stop" as const,
};

function compiled(): RoutingTable {
  const tree = compileTree({ "mallex.yaml": CONFIG });
  if (tree.table === undefined) throw new Error(tree.lines.join("\n"));
  return tree.table;
}

/** What `mallex engine --plan` answered, and what it was asked (askContextPlan's inputs). */
function planner(contextSize: number) {
  const asked: ContextPlanOptions[] = [];
  const lines: string[] = [];
  return {
    asked,
    lines,
    options: {
      plan: async (options: ContextPlanOptions): Promise<ContextPlan> => {
        asked.push(options);
        return {
          contextSize,
          trainContextSize: 131072,
          sequences: options.sequences ?? 1,
          gpuLayers: 0,
          backend: "cpu",
          limitedBy: "memory",
          freeRamBytes: 3.2e9,
          freeVramBytes: 0,
        };
      },
      print: (line: string) => lines.push(line),
    },
  };
}

describe("withPlannedContexts: the embedded engine's context chosen before it starts", () => {
  it("--embedded with no size: one plan for the one engine, capped at the largest declared window; every local profile fitted to it", async () => {
    const p = planner(12288);
    const table = await withPlannedContexts(
      withEmbeddedModel(compiled(), { model: "/models/m.gguf", engine: { threads: 1, gpuLayers: "auto" }, supervision }),
      p.options,
    );
    expect(p.asked).toEqual([{ modelPath: "/models/m.gguf", gpuLayers: "auto", maxContextSize: 65536 }]);
    const fitted = (name: string) => ({
      window: table.profiles[name]!.contextWindow,
      budget: table.profiles[name]!.inputBudget,
      engine: table.profiles[name]!.engine,
    });
    expect(fitted("coder")).toEqual({ window: 12288, budget: 8000, engine: { threads: 1, gpuLayers: "auto", contextSize: 12288, contextPlanned: true } });
    expect(fitted("spare")).toEqual({ window: 12288, budget: 9216, engine: { threads: 1, gpuLayers: "auto", contextSize: 12288, contextPlanned: true } });
    expect(table.profiles.claude!.contextWindow).toBeUndefined();
    // The engine is started with that size, marked as planned: after a GPU fallback it is planned again (gpu-fallback.ts).
    const spec = supervisedSpec(table.profiles.coder!, table.backends[table.profiles.coder!.backend]!, {});
    expect(spec.command).toContain(" --ctx-size 12288");
    expect(spec.plannedContext).toBe(true);
    expect(p.lines).toEqual([
      "mallex: embedded engine /models/m.gguf: context 12288 tokens (what fits in memory; the model was trained on 131072; CPU, 3.2 GB RAM free after the weights)",
    ]);
  });

  it("leaves alone a context the user gave, and an hf: model that cannot be read before it is downloaded", async () => {
    const p = planner(4096);
    const given = withEmbeddedModel(compiled(), { model: "/models/m.gguf", engine: { contextSize: 8192 }, supervision });
    expect(await withPlannedContexts(given, p.options)).toEqual(given);
    // A size the user gave stays what it is, on any backend.
    expect(supervisedSpec(given.profiles.coder!, given.backends[given.profiles.coder!.backend]!, {}).plannedContext).toBeUndefined();
    const remote = withEmbeddedModel(compiled(), { model: "hf:user/repo:Q4_K_M", engine: {}, supervision });
    expect(await withPlannedContexts(remote, p.options)).toEqual(remote);
    expect(p.asked).toEqual([]);
  });

  it("a table with no embedded engine is not planned", async () => {
    const p = planner(4096);
    const table = compiled();
    expect(await withPlannedContexts(table, p.options)).toEqual(table);
    expect(p.asked).toEqual([]);
  });
});

describe("defaultThreads", () => {
  it("every physical core, at least one; one for a model under 150 MB, whose tokens are too little work to share", () => {
    expect([0, 1, 2, 4, 16].map((cores) => defaultThreads(cores))).toEqual([1, 1, 2, 4, 16]);
    expect([1_750_784, 98_362_432].map((bytes) => defaultThreads(16, bytes))).toEqual([1, 1]);
    expect([491_400_064, 1_117_320_768].map((bytes) => defaultThreads(2, bytes))).toEqual([2, 2]);
  });
});
