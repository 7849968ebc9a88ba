// `npm run bench:threads-beside-claude-code`: how many CPU threads the embedded engine should take
// when Claude Code runs beside it on the same machine — the question `mallex run` answers by default
// ("the physical cores but one": one thread on 2 cores). Each variant is the real thing end to end:
// `mallex eval --embedded <the model kit's coder> --threads N` over the same tasks, the real Claude
// Code (the pinned release) driving them, the proxy and the engine on this machine. Rounds rotate the
// order of the thread counts, so the machine's noise falls on all alike. Per variant: prefill and
// decode tokens/s (the engine's, from the eval's totals), mean time to first token, tasks' wall time.
//
//   node bench/threads-beside-claude-code.js [--threads 1,2] [--rounds 2] [--task run-command --task answer-question]
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, homedir, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "2" },
    task: { type: "string", multiple: true, default: ["run-command", "answer-question", "write-python-script"] },
  },
});
const kitDir = process.env.MALLEX_MODEL_KIT ?? join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "mallex-model-kit");
const kitFile = join(kitDir, "kit.json");
if (!existsSync(kitFile)) {
  console.log(`skipped: needs the model kit (npm run models; not found in ${kitDir})`);
  process.exit(0);
}
const model = JSON.parse(readFileSync(kitFile, "utf8")).coder_gguf;
const threadCounts = values.threads.split(",").map(Number);
const rounds = Number(values.rounds);

/**
 * One `mallex eval` of the tasks with the engine on `threads` threads: the report's totals.
 * @param {number} threads
 * @returns {{ promptTokens: number; cachedTokens: number; outputTokens: number; prefillMs: number; decodeMs: number; meanTtftMs?: number; wallMs: number; loadBefore: number }}
 */
function evalWith(threads) {
  const home = mkdtempSync(join(tmpdir(), "mallex-threads-"));
  const report = join(home, "report.json");
  const load = loadavg()[0];
  try {
    execFileSync(
      process.execPath,
      [
        join(root, "bin", "mallex.js"),
        "eval",
        "--embedded",
        model,
        "--threads",
        String(threads),
        ...values.task.flatMap((t) => ["--task", t]),
        "--json",
        report,
        "--timeout",
        "900",
      ],
      { cwd: root, env: { ...process.env, MALLEX_HOME: home }, stdio: ["ignore", "ignore", "inherit"] },
    );
  } catch {
    // A failed task exits non-zero; its timings count all the same.
  }
  const totals = JSON.parse(readFileSync(report, "utf8")).totals;
  rmSync(home, { recursive: true, force: true });
  return { ...totals, loadBefore: load };
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
/** @type {Map<number, Array<ReturnType<typeof evalWith>>>} */
const runs = new Map(threadCounts.map((n) => [n, []]));
for (let round = 0; round < rounds; round++) {
  const order = threadCounts.map((_, i) => threadCounts[(i + round) % threadCounts.length]);
  for (const threads of order) {
    console.error(`round ${round + 1}/${rounds}: --threads ${threads}`);
    runs.get(threads)?.push(evalWith(threads));
  }
}

console.log(`machine: ${cpus().length} vCPUs (${cpus()[0]?.model.trim()}), model ${model.split("/").pop()}, tasks ${values.task.join(", ")}, ${rounds} rounds`);
console.log("| threads | runs | prefill tok/s | decode tok/s | mean ttft | tasks' wall | load before |");
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const [threads, list] of runs) {
  const prefill = median(list.map((t) => ((t.promptTokens - t.cachedTokens) * 1000) / Math.max(1, t.prefillMs)));
  const decode = median(list.map((t) => (t.outputTokens * 1000) / Math.max(1, t.decodeMs)));
  const ttft = median(list.map((t) => t.meanTtftMs ?? 0));
  const wall = median(list.map((t) => t.wallMs));
  const load = median(list.map((t) => t.loadBefore));
  console.log(
    `| ${threads} | ${list.length} | ${prefill.toFixed(1)} | ${decode.toFixed(1)} | ${(ttft / 1000).toFixed(1)} s | ${(wall / 1000).toFixed(0)} s | ${load.toFixed(1)} |`,
  );
}
