// `mallex compile` on the shipped default config: in-process (the compiler alone) and as the whole
// command a user runs (node start-up and module loading included), against `node -e 0` as the floor.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileConfig, loadConfigValidator } from "../dist/src/index.js";
import { ms, summarize } from "./stats.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "mallex.js");

export async function benchCompile({ runs = 30 } = {}) {
  const validator = await loadConfigValidator(root);
  const outDir = mkdtempSync(join(tmpdir(), "mallex-bench-"));
  const inProcess = [];
  for (let i = 0; i < runs * 3; i++) {
    const started = performance.now();
    const result = compileConfig({ configPath: join(root, "mallex.yaml"), outDir, cwd: root, env: {}, packageRoot: root, validator });
    inProcess.push(performance.now() - started);
    if (!result.table) throw new Error("the default config did not compile");
  }
  const time = (args) => {
    const samples = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      execFileSync("node", args, { cwd: root, stdio: "ignore" });
      samples.push(performance.now() - started);
    }
    return summarize(samples);
  };
  const command = time([bin, "compile", "--out", outDir]);
  const node = time(["-e", "0"]);
  return [
    "| `mallex compile`, default config | p50 | p99 | min |",
    "|---|---|---|---|",
    row("compiler in-process (load, validate, check, templates, resolve)", summarize(inProcess.slice(runs))),
    row("whole command (`node bin/mallex.js compile`)", command),
    row("`node -e 0` on the same machine (floor)", node),
    "",
    `whole command ÷ bare node start: ${(command.p50 / node.p50).toFixed(2)}× at p50`,
  ].join("\n");
}

const row = (label, s) => `| ${label} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.min)} |`;
