import { describe, expect, it } from "vitest";
import { modelFactsOf } from "../../src/engine/plan-engine-context.js";
import { fitTiersToModel } from "../../src/server/fit-tiers-to-model.js";
import { withEmbeddedModel } from "../../src/server/with-embedded-model.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  mlx: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --port {port}" } }
  anthropic: { kind: anthropic, base_url: "https://api.anthropic.com", api_key: x }
profiles:
  coder-1.5b: { backend: mlx, model: a, size: small, params_b: 1.5 }
  coder-7b: { backend: mlx, model: b, size: small, params_b: 7 }
  coder-30b: { backend: mlx, model: c, size: medium, params_b: 30 }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  low: { profile: coder-30b }
  medium: { profile: coder-30b }
  high: { profile: claude, fallback: medium }
routing:
  default_tier: medium
  models: [{ match: "*haiku*", tier: low }]
`;

const SUPERVISION = {
  command: "x",
  readiness: { path: "/v1/models", timeoutMs: 1 },
  idleUnloadMs: 1,
  wedgeTimeoutMs: 1,
  maxRestarts: 1,
  restartWindowMs: 1,
  onExit: "stop",
} as never;

/** The table as `--embedded` and its context plan leave it: every local profile served by one GGUF of `paramsB` billions. */
function served(paramsB: number | undefined) {
  const compiled = compileTree({ "mallex.yaml": CONFIG });
  if (compiled.table === undefined) throw new Error(compiled.lines.join("\n"));
  const table = withEmbeddedModel(compiled.table, { model: "/m/model.gguf", engine: {}, supervision: SUPERVISION });
  const profiles = Object.fromEntries(
    Object.entries(table.profiles).map(([key, p]) => [key, p.backend === "embedded" && paramsB !== undefined ? { ...p, servedParamsB: paramsB } : p]),
  );
  return { ...table, profiles };
}

describe("fitTiersToModel (--embedded PATH with no profile named)", () => {
  it("gives each local tier the profile declared nearest the GGUF's size, and says so; Claude's tier stays", () => {
    const { table, note } = fitTiersToModel(served(1.5));
    expect(table.tiers.low.profile).toBe("coder-1.5b");
    expect(table.tiers.medium.profile).toBe("coder-1.5b");
    expect(table.tiers.high.profile).toBe("claude");
    expect(note).toBe(
      "mallex: model has 1.5B parameters: its tiers use the settings of the profile declared nearest that size (low → coder-1.5b, medium → coder-1.5b)",
    );
    expect(fitTiersToModel(served(0.5)).table.tiers.medium.profile).toBe("coder-1.5b");
    expect(fitTiersToModel(served(8)).table.tiers.medium.profile).toBe("coder-7b");
  });

  it("leaves the tiers as they are when they already fit, or when the model's size is not known", () => {
    expect(fitTiersToModel(served(32))).toEqual({ table: served(32) });
    expect(fitTiersToModel(served(undefined))).toEqual({ table: served(undefined) });
  });
});

describe("modelFactsOf (the GGUF header's general.* keys)", () => {
  it("reads the architecture, the name and the size, from the size label or else the name", () => {
    expect(modelFactsOf({ general: { architecture: "qwen2", name: "Qwen2.5 Coder 1.5B Instruct", size_label: "1.5B" } })).toEqual({
      architecture: "qwen2",
      name: "Qwen2.5 Coder 1.5B Instruct",
      paramsB: 1.5,
    });
    expect(modelFactsOf({ general: { architecture: "qwen3moe", size_label: "30B-A3B" } }).paramsB).toBe(30);
    expect(modelFactsOf({ general: { name: "SmolLM2 135M Instruct" } }).paramsB).toBe(0.135);
    expect(modelFactsOf({ general: { name: "Qwen2.5-Coder-0.5B-Instruct-AWQ" } }).paramsB).toBe(0.5);
    expect(modelFactsOf({ general: { name: "tiny random" } })).toEqual({ name: "tiny random" });
    expect(modelFactsOf({})).toEqual({});
  });
});
