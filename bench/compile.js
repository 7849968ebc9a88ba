// `mallex compile` on the shipped default config: in-process (the compiler alone) and as the whole
// command a user runs (node start-up and module loading included), against `node -e 0` as the floor.
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compileConfig, loadConfigValidator } from "#dist/index.js";
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

  const commandArgs = [bin, "compile", "--out", outDir];
  const lines = [
    "| `mallex compile`, default config | p50 | p99 | min |",
    "|---|---|---|---|",
    row("compiler in-process (load, validate, check, templates, resolve)", summarize(inProcess.slice(runs))),
  ];
  const ratios = [];
  // Node 20 reads NODE_EXTRA_CA_CERTS' whole file at start-up, before any of mallex runs: where it is
  // set, both settings are measured so the floor the command stands on is plain.
  const settings = process.env.NODE_EXTRA_CA_CERTS
    ? [
        ["with NODE_EXTRA_CA_CERTS set", process.env],
        ["without NODE_EXTRA_CA_CERTS", withoutExtraCaCerts()],
      ]
    : [["", process.env]];
  for (const [label, env] of settings) {
    const [command, node] = timeInterleaved([commandArgs, ["-e", "0"]], { env, runs });
    const suffix = label ? `, ${label}` : "";
    lines.push(row(`whole command (\`node bin/mallex.js compile\`)${suffix}`, command), row(`\`node -e 0\` (floor)${suffix}`, node));
    ratios.push(`whole command ÷ bare node start${suffix}: ${(command.p50 / node.p50).toFixed(2)}× at p50, +${ms(command.p50 - node.p50)}`);
  }
  return [...lines, "", ...ratios.map((line) => `${line}  `)].join("\n").trimEnd();
}

/** Alternates the commands run by run, so the machine's noise falls on each of them alike. */
function timeInterleaved(argLists, { env, runs }) {
  const samples = argLists.map(() => []);
  for (let i = 0; i < runs + 2; i++) {
    argLists.forEach((args, index) => {
      const started = performance.now();
      execFileSync(process.execPath, args, { cwd: root, env, stdio: "ignore" });
      if (i >= 2) samples[index].push(performance.now() - started);
    });
  }
  return samples.map(summarize);
}

function withoutExtraCaCerts() {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

const row = (label, s) => `| ${label} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.min)} |`;
