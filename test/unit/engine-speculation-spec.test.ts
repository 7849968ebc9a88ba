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
