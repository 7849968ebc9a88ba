/**
 * The dashboard's and `mallex status`'s contexts: each reachable local profile's window and prompt
 * budget in effect, and where the window comes from — over a compiled config, refitted by the real
 * fitter (fit-to-server-facts.ts) as the proxy refits it when a server says what it holds.
 */
import { describe, expect, it } from "vitest";
import type { ServerFacts } from "../../src/backends/server-facts.js";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { fitToServerFacts } from "../../src/router/fit-to-server-facts.js";
import { summarizeContexts } from "../../src/observe/dashboard/context-summary.js";
import { reachableBackends } from "../../src/observe/dashboard/reachable-profiles.js";
import { withEmbeddedModel } from "../../src/server/with-embedded-model.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  ext: { kind: openai, flavor: llama-server, base_url: "http://127.0.0.1:9/v1" }
  mlx: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:8/v1" }
  anthropic: { kind: anthropic, base_url: "https://api.anthropic.com" }
profiles:
  tiny: { backend: ext, model: tiny, size: small, context_window: 32768, input_budget: 20000 }
  coder: { backend: mlx, model: mlx-community/Coder-4bit, size: small, context_window: 32768, input_budget: 8000 }
  spare: { backend: mlx, model: mlx-community/Spare-4bit, size: small, context_window: 65536 }
  bare: { backend: ext, model: bare, size: small, aliases: ["bare*"] }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  low: { profile: tiny }
  medium: { profile: coder }
  high: { profile: claude, fallback: medium }
routing:
  models: [{ match: "*haiku*", tier: low }]
`;

function compiled(): RoutingTable {
  const tree = compileTree({ "mallex.yaml": CONFIG });
  if (tree.table === undefined) throw new Error(tree.lines.join("\n"));
  return tree.table;
}

/** What each backend's server said, as ServerFactsStore.get answers. */
const factsFrom = (said: Record<string, ServerFacts>) => (backend: string) => said[backend];

describe("summarizeContexts", () => {
  it("before any server has said anything: the declared windows, reachable local profiles only, in the config's order", () => {
    const table = compiled();
    expect(summarizeContexts({ declared: table, current: table })).toEqual([
      { profile: "tiny", backend: "ext", usedBy: ["low"], contextWindow: 32768, inputBudget: 20000, source: "declared" },
      { profile: "coder", backend: "mlx", usedBy: ["medium"], contextWindow: 32768, inputBudget: 8000, source: "declared" },
      // Only its alias reaches it: shown, and marked as no tier's.
      { profile: "bare", backend: "ext", usedBy: [], aliases: ["bare*"], source: "unknown" },
    ]);
  });

  it("once the servers said what they hold: a lowered window names its server's source and the declared one; a larger server leaves the declared window, and says so", () => {
    const declared = compiled();
    const factsOf = factsFrom({
      ext: { contextWindow: 4096, parallel: 2, source: "llama-server GET /props" },
      mlx: { contextWindow: 131072, source: "mlx-lm config.json" },
    });
    const current = fitToServerFacts(declared, factsOf).table;
    expect(summarizeContexts({ declared, current, factsOf })).toEqual([
      { profile: "tiny", backend: "ext", usedBy: ["low"], contextWindow: 4096, inputBudget: 3072, source: "llama-server GET /props", declared: 32768 },
      { profile: "coder", backend: "mlx", usedBy: ["medium"], contextWindow: 32768, inputBudget: 8000, source: "declared", serverHolds: 131072 },
      // No window declared: the server's is taken, and nothing was lowered.
      { profile: "bare", backend: "ext", usedBy: [], aliases: ["bare*"], contextWindow: 4096, inputBudget: 3072, source: "llama-server GET /props" },
    ]);
  });

  it("a server that holds exactly the declared window is named as its source; one that says no context leaves the declared", () => {
    const declared = compiled();
    const factsOf = factsFrom({ ext: { contextWindow: 32768, source: "llama-server GET /props" }, mlx: { parallel: 32, source: "mlx-lm config.json" } });
    const current = fitToServerFacts(declared, factsOf).table;
    const [tiny, coder] = summarizeContexts({ declared, current, factsOf });
    expect(tiny).toEqual({ profile: "tiny", backend: "ext", usedBy: ["low"], contextWindow: 32768, inputBudget: 20000, source: "llama-server GET /props" });
    expect(coder).toEqual({ profile: "coder", backend: "mlx", usedBy: ["medium"], contextWindow: 32768, inputBudget: 8000, source: "declared" });
  });

  it("--embedded with a context size: the engine's until the engine says it holds it itself", () => {
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
    const declared = withEmbeddedModel(compiled(), { model: "/models/m.gguf", engine: { contextSize: 8192 }, supervision });
    // Each names the GGUF that serves it, not the model it declares.
    expect(summarizeContexts({ declared, current: declared }).map((c) => [c.profile, c.backend, c.served, c.contextWindow, c.inputBudget, c.source])).toEqual([
      ["tiny", "embedded", "m", 8192, 6144, "engine context size"],
      ["coder", "embedded", "m", 8192, 6144, "engine context size"],
      ["bare", "embedded", "m", 8192, 6144, "engine context size"],
    ]);
    const factsOf = factsFrom({ embedded: { contextWindow: 8192, parallel: 1, source: "mallex engine GET /props" } });
    const current = fitToServerFacts(declared, factsOf).table;
    expect(summarizeContexts({ declared, current, factsOf }).map((c) => c.source)).toEqual([
      "mallex engine GET /props",
      "mallex engine GET /props",
      "mallex engine GET /props",
    ]);
  });
});

describe("reachableBackends", () => {
  it("names the backends of the profiles a tier, the classifier or an alias reaches, local or not", () => {
    expect([...reachableBackends(compiled())].sort()).toEqual(["anthropic", "ext", "mlx"]);
    const onlyExt = compileTree({
      "mallex.yaml": CONFIG.replace("  medium: { profile: coder }", "  medium: { profile: tiny }").replace("fallback: medium", "fallback: low"),
    }).table!;
    expect([...reachableBackends(onlyExt)].sort()).toEqual(["anthropic", "ext"]);
  });
});
