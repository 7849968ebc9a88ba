/**
 * A profile's draft_model reaches its server only where mallex starts it with one: a draft given to
 * a server that never hears of it (llama-server's command without {draft_model}, a server mallex does
 * not start) is said at compile time, not dropped without a word.
 */
import { describe, expect, it } from "vitest";
import { compileTree } from "../helpers/config-tree.js";

const config = (backend: string, model = "/models/qwen2.5-coder-1.5b-q4_k_m.gguf") => `backends:
  local:
${backend}
profiles:
  coder: { backend: local, model: ${model}, size: small, draft_model: /models/qwen2.5-coder-0.5b-q4_k_m.gguf }
tiers:
  medium: { profile: coder }
`;

describe("draft_model where its server is started without it", () => {
  it("warns for a llama-server command without {draft_model}, naming the flags that turn it on, and compiles", () => {
    const result = compileTree({
      "mallex.yaml": config(`    kind: openai
    flavor: llama-server
    supervise:
      command: "llama-server -m {model} --port {port} --jinja"`),
    });
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([["profile-draft-model-unused", "warning"]]);
    expect(result.lines[0]).toMatch(
      /profile "coder" has a draft model, but backend "local" is started by a command without \{draft_model\}: the draft would not be used/,
    );
    expect(result.lines.join("\n")).toContain('add "--model-draft {draft_model} --spec-type draft-simple" to backends.local.supervise.command');
    expect(result.table).toBeDefined();
  });

  it("warns for a server mallex does not start", () => {
    const result = compileTree({
      "mallex.yaml": config("    kind: openai\n    flavor: ollama\n    base_url: http://127.0.0.1:11434/v1", "qwen2.5-coder:1.5b"),
    });
    expect(result.diagnostics.map((d) => d.code)).toEqual(["profile-draft-model-unused"]);
    expect(result.lines[0]).toMatch(/backend "local" is a server mallex does not start/);
  });

  it("says nothing where the draft is passed: the command's {draft_model}, mlx-lm's and the engine's own flag", () => {
    const withPlaceholder = config(`    kind: openai
    flavor: llama-server
    supervise:
      command: "llama-server -m {model} -md {draft_model} --spec-type draft-simple --port {port}"`);
    const engine = config(`    kind: openai
    flavor: embedded
    supervise:
      command: "{mallex} engine --model {model} --host {host} --port {port}"`);
    for (const yaml of [withPlaceholder, engine]) expect(compileTree({ "mallex.yaml": yaml }).diagnostics).toEqual([]);
  });
});
