import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureCompiled } from "../src/compile/ensure-compiled.js";
import { BASE, packageRoot, writeTree } from "./helpers/config-tree.js";

describe("ensureCompiled (what proxy and run do at start)", () => {
  const options = (dir: string, configPath: string, env: Record<string, string> = {}) => ({
    configPath,
    outDir: join(dir, "generated"),
    cwd: dir,
    env,
    packageRoot,
  });

  it("compiles once, then reuses generated/ until a source or an environment value it read changes", async () => {
    const dir = writeTree({ "mallex.yaml": `${BASE}server:\n  port: \${PORT:-5000}\n` });
    expect((await ensureCompiled(options(dir, "mallex.yaml"))).compiled).toBe(true);
    expect((await ensureCompiled(options(dir, "mallex.yaml"))).compiled).toBe(false);
    const changedEnv = await ensureCompiled(options(dir, "mallex.yaml", { PORT: "6000" }));
    expect([changedEnv.compiled, changedEnv.table.server.port]).toEqual([true, 6000]);
    writeFileSync(join(dir, "mallex.yaml"), `${BASE}server: { port: 7000 }\n`);
    const edited = await ensureCompiled(options(dir, "mallex.yaml"));
    expect([edited.compiled, edited.table.server.port]).toEqual([true, 7000]);
  });

  it("never takes the table another config in the same folder compiled", async () => {
    const dir = writeTree({ "mallex.yaml": BASE, "other.yaml": BASE.replace("test-model", "other-model") });
    await ensureCompiled(options(dir, "mallex.yaml"));
    const other = await ensureCompiled(options(dir, "other.yaml"));
    expect(other.compiled).toBe(true);
    expect(other.table.profiles.small!.model).toBe("other-model");
  });

  it("throws the config's diagnostics as one user error", async () => {
    const dir = writeTree({ "mallex.yaml": `${BASE}server: { prot: 1 }\n` });
    await expect(ensureCompiled(options(dir, "mallex.yaml"))).rejects.toMatchObject({
      message: "✗ the config has errors; fix them and start again",
      details: ['mallex.yaml:7:11: error [schema-unknown-key] unknown key "prot" in server (hint: did you mean "port"?)'],
    });
  });
});
