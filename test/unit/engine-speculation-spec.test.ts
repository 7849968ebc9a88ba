import { describe, expect, it } from "vitest";
import { supervisedSpec } from "../../src/backends/supervisor-pool.js";
import { buildServerArgv } from "../../src/supervisor/server-command.js";
import { compileTree } from "../helpers/config-tree.js";

const CONFIG = `backends:
  engine: { kind: openai, flavor: embedded, supervise: { command: "{mallex} engine --model {model} --host {host} --port {port}" } }
profiles:
  plain: { backend: engine, model: /m/coder-1.5b.gguf, size: small }
  lookup: { backend: engine, model: /m/coder-1.5b.gguf, size: small, engine: { lookup: true } }
  drafted: { backend: engine, model: /m/coder-1.5b.gguf, size: small, draft_model: /m/coder-0.5b.gguf }
tiers:
  medium: { profile: plain }
`;

describe("speculative decoding on the embedded engine, from the profile", () => {
  const compiled = compileTree({ "mallex.yaml": CONFIG });
  const table = compiled.table!;
  const argv = (name: string) => {
    const spec = supervisedSpec(table.profiles[name]!, table.backends.engine!, {});
    return { key: spec.key, argv: buildServerArgv(spec.command, { port: 1, model: spec.model, host: "h", draftModel: spec.draftModel, mallex: ["mallex"] }) };
  };

  it("engine.lookup starts the engine with --lookup, draft_model with --model-draft, each an engine of its own", () => {
    expect(compiled.lines.join("\n")).toBe("");
    const [plain, lookup, drafted] = ["plain", "lookup", "drafted"].map(argv);
    expect(plain!.argv).toEqual(["mallex", "engine", "--model", "/m/coder-1.5b.gguf", "--host", "h", "--port", "1"]);
    expect(lookup!.argv).toEqual([...plain!.argv, "--parallel", "1", "--lookup"]);
    expect(drafted!.argv).toEqual([...plain!.argv, "--model-draft", "/m/coder-0.5b.gguf"]);
    expect(new Set([plain!.key, lookup!.key, drafted!.key]).size).toBe(3);
  });
});

describe("speculative decoding on mlx_lm.server, from the profile", () => {
  it("draft_model starts mlx_lm.server with --draft-model and six tokens a guess; a command that names {draft_model} is left as written", () => {
    const compiled = compileTree({
      "mallex.yaml": [
        "backends:",
        '  mlx: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --model {model} --port {port}" } }',
        '  own: { kind: openai, flavor: mlx-lm, supervise: { command: "mlx_lm.server --model {model} --port {port} --draft-model {draft_model}" } }',
        "profiles:",
        "  drafted: { backend: mlx, model: mlx-community/Coder-1.5B, size: small, draft_model: mlx-community/Coder-0.5B }",
        "  own: { backend: own, model: mlx-community/Coder-1.5B, size: small, draft_model: mlx-community/Coder-0.5B }",
        "tiers:",
        "  medium: { profile: drafted }",
        "",
      ].join("\n"),
    });
    expect(compiled.lines.join("\n")).toBe("");
    const { profiles, backends } = compiled.table!;
    const argv = (name: "drafted" | "own") => {
      const spec = supervisedSpec(profiles[name]!, backends[name === "drafted" ? "mlx" : "own"]!, {});
      return buildServerArgv(spec.command, { port: 1, model: spec.model, host: "h", draftModel: spec.draftModel });
    };
    const base = ["mlx_lm.server", "--model", "mlx-community/Coder-1.5B", "--port", "1"];
    expect(argv("drafted")).toEqual([...base, "--draft-model", "mlx-community/Coder-0.5B", "--num-draft-tokens", "6"]);
    expect(argv("own")).toEqual([...base, "--draft-model", "mlx-community/Coder-0.5B"]);
  });
});
