import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE, writeTree } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";
import { MODEL_SOURCE_EXIT_CODE } from "../src/shared/model-source-failure.js";
import { inConfigFile } from "../src/shared/in-config-file.js";

// Runs the built CLI: `npm test` builds first.
describe("a missing or non-GGUF model fails at start, in one line, with no memory estimate", () => {
  const dir = writeTree({ "mallex.yaml": BASE });
  const env = { MALLEX_HOME: mkdtempSync(join(tmpdir(), "mallex-state-")) };
  const html = join(dir, "model.gguf");
  writeFileSync(html, "<!DOCTYPE html><html>Hugging Face login page</html>");
  const cases = [
    [join(dir, "nope.gguf"), `mallex: --embedded: there is no model file at ${join(dir, "nope.gguf")}`],
    [
      html,
      `mallex: --embedded: ${html} is not a GGUF model file: it starts with "<!DO", not "GGUF" (llama.cpp loads only .gguf files; convert other formats with llama.cpp's convert_hf_to_gguf.py)`,
    ],
    [dir, `mallex: --embedded: ${dir} is not a file: give the path of a .gguf file`],
  ] as const;

  it("`mallex proxy --embedded` exits 2 before it listens", async () => {
    for (const [model, message] of cases) {
      const result = await runCli(["proxy", "--port", "0", "--embedded", model], { cwd: dir, env });
      expect(result.exitCode).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(message);
    }
  });

  it("`mallex run --embedded` exits 2 before it starts a server or Claude Code (so no `may need … GB` line)", async () => {
    const result = await runCli(["run", "--embedded", cases[0][0], "--", "-p", "hi"], { cwd: dir, env });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(cases[0][1]);
  });

  it("`mallex engine --model` exits before it listens, with the exit and the marked lines a supervising mallex passes on as they are", async () => {
    const result = await runCli(["engine", "--model", html, "--port", "0"], { env });
    expect(result.exitCode).toBe(MODEL_SOURCE_EXIT_CODE);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(cases[1][1].replace("mallex: --embedded: ", "mallex engine: "));
  });

  it("a config's embedded profile with a missing or foreign file: `mallex proxy` exits 1 naming the profile", async () => {
    const config = (model: string) =>
      `include: [mallex]\nprofiles:\n  tiny: { backend: embedded, model: "${model}", size: small, min_ram_gb: 1 }\ntiers:\n  low: { profile: tiny }\n  medium: { profile: tiny }\n  high: { profile: tiny }\n`;
    const missing = writeTree({ "mallex.yaml": config("models/nope.gguf") });
    const result = await runCli(["proxy", "--port", "0"], { cwd: missing, env });
    expect(result.exitCode).toBe(1);
    // The profile and the file it is in: "mallex.yaml" alone could be the shipped one, the user's or this folder's.
    expect(result.stderr).toBe(
      `mallex: profile tiny ${inConfigFile({ path: join(missing, "mallex.yaml"), shipped: false })}: there is no model file at ${join(missing, "models", "nope.gguf")}`,
    );
    const foreign = writeTree({ "mallex.yaml": config(html) });
    expect((await runCli(["proxy", "--port", "0"], { cwd: foreign, env })).stderr).toBe(
      `mallex: profile tiny ${inConfigFile({ path: join(foreign, "mallex.yaml"), shipped: false })}: ${cases[1][1].replace("mallex: --embedded: ", "")}`,
    );
  });
});
