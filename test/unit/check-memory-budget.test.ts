import { describe, expect, it } from "vitest";
import { singleConfig } from "../../src/config/config-layers.js";
import { checkMemoryBudget } from "../../src/doctor/check-memory-budget.js";
import { formatCheck } from "../../src/doctor/run-doctor.js";
import type { DoctorContext, DoctorDeps } from "../../src/doctor/types.js";
import type { Hardware } from "../../src/setup/detect-hardware.js";
import type { ModelSizeDeps } from "../../src/supervisor/memory/model-sizes.js";
import { compileTree } from "../helpers/config-tree.js";

const GB = 1024 ** 3;
const mac: Hardware = { platform: "darwin", arch: "arm64", ramGb: 64, chip: "Apple M2 Max", appleSilicon: true };

/** Three tiers on three mlx-lm models mallex starts; `extra` adds profile keys, `memory` a memory: block. */
function config({ extra = {}, memory = "" }: { extra?: Partial<Record<"a" | "b" | "c", string>>; memory?: string } = {}): string {
  const profile = (name: "a" | "b" | "c", model: string) =>
    `  ${name}: { backend: mlx, model: ${model}, size: medium${extra[name] ? `, ${extra[name]}` : ""} }\n`;
  return (
    `backends:\n  mlx:\n    kind: openai\n    flavor: mlx-lm\n    supervise: { command: "mlx_lm.server --model {model} --port {port}" }\n` +
    `profiles:\n${profile("a", "org/A-4bit")}${profile("b", "org/B-4bit")}${profile("c", "org/C-4bit")}` +
    `tiers:\n  low: { profile: a }\n  medium: { profile: b }\n  high: { profile: c }\nrouting:\n  models:\n    - { match: "*haiku*", tier: low }\n    - { match: "*opus*", tier: high }\n` +
    memory
  );
}

function context(yaml: string, hardware: Hardware = mac, options: DoctorContext["options"] = { config: singleConfig("mallex.yaml") }): DoctorContext {
  const compiled = compileTree({ "mallex.yaml": yaml });
  if (!compiled.table) throw new Error(compiled.lines.join("\n"));
  return { options, deps: {} as DoctorDeps, hardware, table: compiled.table };
}

/** Weights on disk by model (bytes), and sizes an earlier session measured by server key. */
function sizes(weights: Record<string, number>, measured: Record<string, number> = {}): ModelSizeDeps {
  return { measure: async () => undefined, weightsBytes: (model) => weights[model], load: () => measured, save: () => {} };
}

const check = (yaml: string, deps: ModelSizeDeps, hardware?: Hardware) => formatCheck(checkMemoryBudget(context(yaml, hardware), deps));

describe("doctor's memory budget check", () => {
  it("all fit: the budget (75% of RAM by default), each size with its source", () => {
    const line = check(config({ extra: { c: "min_ram_gb: 12" } }), sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 10 * GB }));
    expect(line).toBe(
      "✓ memory budget — budget 48 GB (75% of this machine's 64 GB, as memory.budget_gb is not set); low 6 GB (weights on disk), medium 12 GB (weights on disk), high 12 GB (min_ram_gb); all fit loaded together (30 GB)",
    );
  });

  it("swapping: which fit together and which unloads the others when it starts", () => {
    const line = check(config({ memory: "memory:\n  budget_gb: 40\n" }), sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 5 * GB, "org/C-4bit": 32 * GB }));
    expect(line).toBe(
      "✓ memory budget — budget 40 GB (memory.budget_gb: 40); low 6 GB (weights on disk), medium 6 GB (weights on disk), high 38.4 GB (weights on disk); low + medium fit together (12 GB); high (38.4 GB) unloads the others when it starts",
    );
  });

  it("a size measured by an earlier session wins over the weights", () => {
    const line = check(
      config({ memory: "memory:\n  budget_gb: 40\n" }),
      sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 5 * GB, "org/C-4bit": 5 * GB }, { "mlx--org_C-4bit": 30 * GB }),
    );
    expect(line).toContain("high 30 GB (measured)");
    expect(line).toContain("low + medium fit together (12 GB); high (30 GB) unloads the others when it starts");
  });

  it("too big: a model on disk larger than the whole budget fails, naming the setting", () => {
    const result = checkMemoryBudget(
      context(config({ memory: "memory:\n  budget_gb: 24\n" })),
      sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 5 * GB, "org/C-4bit": 30 * GB }),
    );
    expect(result.ok).toBe(false);
    expect(formatCheck(result)).toBe(
      "✗ memory budget — budget 24 GB (memory.budget_gb: 24); low 6 GB (weights on disk), medium 6 GB (weights on disk), high 36 GB (weights on disk); high is larger than the whole budget and would not start (fix: raise memory.budget_gb in mallex.yaml if this machine has the room, or use a smaller model or quantization for profiles.c)",
    );
  });

  it("an estimate over the budget is a warning: it runs alone until measured", () => {
    const result = checkMemoryBudget(
      context(config({ extra: { c: "min_ram_gb: 30" }, memory: "memory:\n  budget_gb: 24\n" })),
      sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 5 * GB }),
    );
    expect(result).toMatchObject({ ok: true, warning: true });
    expect(formatCheck(result)).toBe(
      "! memory budget — budget 24 GB (memory.budget_gb: 24); low 6 GB (weights on disk), medium 6 GB (weights on disk), high 30 GB (min_ram_gb); low + medium fit together (12 GB); high (24 GB) unloads the others when it starts; high may need more than the whole budget (min_ram_gb) and runs alone until measured (raise memory.budget_gb if this machine has the room, or use a smaller model)",
    );
  });

  it("a model nothing tells the size of counts as 0 GB until measured, and the line says so", () => {
    const line = check(config(), sizes({ "org/A-4bit": 5 * GB, "org/B-4bit": 5 * GB }));
    expect(line).toBe(
      "✓ memory budget — budget 48 GB (75% of this machine's 64 GB, as memory.budget_gb is not set); low 6 GB (weights on disk), medium 6 GB (weights on disk), high size unknown; all fit loaded together (12 GB); high counted as 0 GB until measured (no weights on disk, no min_ram_gb or params_b)",
    );
  });

  it("tiers that share a model share its server: one entry, and no swapping to speak of", () => {
    const shared = config({ extra: { b: "min_ram_gb: 8" } }).replace("high: { profile: c }", "high: { profile: b }");
    expect(check(shared, sizes({ "org/A-4bit": 5 * GB }))).toBe(
      "✓ memory budget — budget 48 GB (75% of this machine's 64 GB, as memory.budget_gb is not set); low 6 GB (weights on disk), medium/high 8 GB (min_ram_gb); all fit loaded together (14 GB)",
    );
  });

  it("no supervised profile, or a server at --backend-url: the check is skipped with why", () => {
    const running = `backends:\n  local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }\nprofiles:\n  small: { backend: local, model: m, size: small }\ntiers:\n  medium: { profile: small }\n`;
    expect(check(running, sizes({}))).toBe("- memory budget — mallex starts no model server on this machine for this config");
    const url = checkMemoryBudget(context(config(), mac, { config: singleConfig("mallex.yaml"), backendUrl: "http://127.0.0.1:8080/v1" }), sizes({}));
    expect(formatCheck(url)).toBe("- memory budget — the server at --backend-url holds the model; mallex starts none");
  });

  it("no budget_gb and unknown RAM: skipped, as no budget can be told", () => {
    expect(check(config(), sizes({}), { ...mac, ramGb: 0 })).toBe("- memory budget — could not read this machine's memory, and memory.budget_gb is not set");
  });
});
