import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, join } from "node:path";
import { execa } from "execa";
import type { EvalReport } from "../../src/eval/eval-report.js";
import type { EvalView } from "../../src/eval/eval-view.js";
import { PINNED_CLAUDE_CODE } from "./claude-code-versions.js";
import { MALLEX_BIN } from "./run-cli.js";

/** The pinned `claude` first on PATH; node and python3 (the checkers', and the model's Bash calls') after it. */
export async function toolPath(): Promise<string> {
  const python = (await execa("python3", ["-c", "import sys; print(sys.executable)"])).stdout.trim();
  return [PINNED_CLAUDE_CODE.binDir, dirname(process.execPath), dirname(python), "/usr/bin", "/bin"].join(delimiter);
}

/** `home`: a MALLEX_HOME of the caller's, kept after the run (default: a new one, removed). */
export async function runEval(args: string[], env: Record<string, string> = {}, timeout = 400_000, home?: string) {
  const kept = home !== undefined;
  home ??= mkdtempSync(join(tmpdir(), "mallex-eval-home-"));
  const out = join(home, "report.json");
  // The run's own temporary folder: other evals on the machine (other checkouts' tests) make working copies too.
  const temp = join(home, "tmp");
  mkdirSync(temp, { recursive: true });
  const result = await execa("node", [MALLEX_BIN, "eval", ...args, "--json", out], {
    reject: false,
    stdin: "ignore",
    timeout,
    extendEnv: false,
    env: {
      HOME: home,
      MALLEX_HOME: home,
      TMPDIR: temp,
      PATH: await toolPath(),
      TERM: "dumb",
      LANG: "C.UTF-8",
      DISABLE_TELEMETRY: "1",
      CLAUDE_CODE_MAX_RETRIES: "0",
      ...env,
    },
  });
  const left = readdirSync(temp).filter((name) => name.startsWith("mallex-eval-"));
  const report = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")) as EvalReport) : undefined;
  const log = existsSync(join(home, "mallex.log")) ? readFileSync(join(home, "mallex.log"), "utf8") : "";
  // What a later mallex's dashboard shows of the run.
  const lastEval = existsSync(join(home, "last-eval.json")) ? (JSON.parse(readFileSync(join(home, "last-eval.json"), "utf8")) as EvalView) : undefined;
  if (!kept) rmSync(home, { recursive: true, force: true });
  return { result, report, log, lastEval, leftWorkingCopies: left };
}
