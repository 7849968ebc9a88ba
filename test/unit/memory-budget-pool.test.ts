/** The supervisor pool's hook: each supervisor behind one budget, memory.together's profiles as server keys, the default budget. */
import { describe, expect, it } from "vitest";
import { createSupervisorPool } from "../../src/backends/supervisor-pool.js";
import { createModelSizes } from "../../src/supervisor/memory/model-sizes.js";
import { instantSupervisor } from "../fakes/instant-supervisor.js";
import { compileTree } from "../helpers/config-tree.js";

const GB = 1024 ** 3;

function config(memory: string): string {
  return `backends:
  local:
    kind: openai
    flavor: mlx-lm
    supervise: { command: "fake-server --model {model} --port {port}", venv: false }
profiles:
  fast: { backend: local, model: org/Fast, size: large, min_ram_gb: 6 }
  classifier: { backend: local, model: org/Classifier, size: large, params_b: 2 }
  deep: { backend: local, model: org/Deep, size: large, min_ram_gb: 6 }
  huge: { backend: local, model: org/Huge, size: large }
tiers:
  medium: { profile: deep }
${memory}`;
}

function pool(memory: string, totalGb = 64) {
  const result = compileTree({ "mallex.yaml": config(memory) });
  expect(result.lines).toEqual([]);
  const table = result.table!;
  const notes: string[] = [];
  const supervisors = createSupervisorPool(table, {
    create: (spec) => instantSupervisor(spec),
    // org/Huge has 20 GB of weights on disk (counted with a fifth more for its context: 24 GB).
    memory: {
      totalBytes: totalGb * GB,
      sizes: createModelSizes({
        measure: async () => undefined,
        weightsBytes: (model) => (model === "org/Huge" ? 20 * GB : undefined),
        load: () => ({}),
        save: () => {},
      }),
      note: (_key, text) => notes.push(text),
    },
  });
  const use = async (name: string) => {
    const supervisor = supervisors.for(table.profiles[name]!);
    await supervisor.ensureReady();
    supervisor.beginRequest().end();
  };
  const states = () => Object.fromEntries(supervisors.all().map((s) => [s.spec.model, s.state]));
  return { supervisors, use, states, notes };
}

describe("the supervisor pool's memory budget", () => {
  it("defaults to 75% of this machine's RAM, and says so when a model is larger", async () => {
    const p = pool("", 15);
    await p.use("fast");
    await p.use("deep"); // 6 + 6 > 11: fast goes
    expect(p.states()).toEqual({ "org/Fast": "stopped", "org/Deep": "ready" });
    expect(p.notes[0]).toMatch(/^unloaded local--org_Fast \(6 GB, idle [\d.]+ s\) to make room for local--org_Deep \(6 GB\); budget 11 GB$/);
    await expect(p.use("huge")).rejects.toThrow(
      "The model server local--org_Huge needs 24 GB (weights on disk), more than the whole memory budget of 11 GB (75% of this machine's 15 GB, as memory.budget_gb is not set): raise memory.budget_gb",
    );
    expect(p.states()["org/Deep"]).toBe("ready");
  });

  it("turns memory.together's profile names into their servers: only those stay loaded side by side", async () => {
    const p = pool("memory:\n  budget_gb: 40\n  together: [[fast, classifier]]\n");
    await p.use("fast");
    await p.use("classifier"); // params_b 2 → 1.2 GB
    expect(p.states()).toEqual({ "org/Fast": "ready", "org/Classifier": "ready" });
    await p.use("deep");
    expect(p.states()).toEqual({ "org/Fast": "stopped", "org/Classifier": "stopped", "org/Deep": "ready" });
    expect(p.notes.map((n) => n.replace(/idle [\d.]+ s/, "idle …"))).toEqual([
      "unloaded local--org_Fast (6 GB, idle …) to make room for local--org_Deep (6 GB); budget 40 GB",
      "unloaded local--org_Classifier (1.2 GB, idle …) to make room for local--org_Deep (6 GB); budget 40 GB",
    ]);
  });

  it("a --server-command's own model does not take the profile's declared size", async () => {
    const result = compileTree({ "mallex.yaml": config("memory:\n  budget_gb: 4\n") });
    const notes: string[] = [];
    const supervisors = createSupervisorPool(result.table!, {
      serverCommand: "other-server --model org/Tiny --port {port}",
      defaults: result.table!.backends.local!.supervise!,
      create: (spec) => instantSupervisor(spec),
      memory: {
        totalBytes: 64 * GB,
        sizes: createModelSizes({ measure: async () => undefined, weightsBytes: () => undefined, load: () => ({}), save: () => {} }),
        note: (_key, text) => notes.push(text),
      },
    });
    await supervisors.for(result.table!.profiles.fast!).ensureReady();
    expect(notes).toEqual(["size of org_Tiny unknown until it is loaded (no weights on disk, no min_ram_gb or params_b): counted as 0 GB until measured"]);
  });
});
