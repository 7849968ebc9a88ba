/**
 * llama-server's n-gram lookup (`--spec-type ngram-simple`), added to a llama-server mallex starts:
 * it checks ahead, in one batch, what followed the last tokens where they stand earlier in the prompt or
 * the answer. A file written back whole with one change (a small model's Write) decoded 2.06× as fast
 * with the same text, fresh code 1.04× (docs/benchmarks.md, "Speculative decoding in llama-server").
 *
 * `--spec-type` is recent, and a llama-server older than it refuses to start on a flag it does not know,
 * so the server's own `--help` decides; a command that already says how to speculate (a draft model,
 * `--spec-type none`) or an environment that does (LLAMA_ARG_SPEC_TYPE) is left as it is.
 */

export const LOOKUP_WORDS: readonly string[] = ["--spec-type", "ngram-simple"];

/** Flags by which a llama-server command chooses its own speculation (llama.cpp's common/arg.cpp). */
const SPECULATION_FLAGS = new Set(["--spec-type", "-md", "--model-draft", "--spec-draft-model", "--spec-draft-hf", "-hfd", "-hfrd", "--hf-repo-draft"]);
/** The same choices made in the environment, by the names this and older llama-servers read. */
const SPECULATION_ENV = ["LLAMA_ARG_SPEC_TYPE", "LLAMA_ARG_SPEC_DRAFT_MODEL", "LLAMA_ARG_MODEL_DRAFT", "LLAMA_ARG_SPEC_DRAFT_HF_REPO", "LLAMA_ARG_HFD_REPO"];

/** Whether mallex should add the lookup to this argv: nothing in it, or in the environment, chose already. */
export function leavesSpeculationOpen(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): boolean {
  if (SPECULATION_ENV.some((name) => env[name] !== undefined)) return false;
  return !argv.some((word) => SPECULATION_FLAGS.has(word.split("=", 1)[0]!));
}

/** Whether a llama-server's `--help` offers `--spec-type` with the n-gram lookup among its values. */
export function helpOffersLookup(help: string): boolean {
  // The option's own entry: its line and the indented lines under it, up to the next option's line.
  const entry = /^[ \t]*--spec-type\b.*(?:\n[ \t]{8,}.*)*/m.exec(help)?.[0] ?? "";
  return /\bngram-simple\b/.test(entry);
}

/** The argv with the lookup added, when the command leaves speculation open and the server offers it. */
export async function withLlamaServerLookup(
  argv: readonly string[],
  options: { env: Readonly<Record<string, string | undefined>>; readHelp(program: string): Promise<string> },
): Promise<readonly string[]> {
  if (argv.length === 0 || !leavesSpeculationOpen(argv, options.env)) return argv;
  // A help that cannot be read (a wrapper script, a crash) means no lookup: the server starts as written.
  const help = await options.readHelp(argv[0]!).catch(() => "");
  return helpOffersLookup(help) ? [...argv, ...LOOKUP_WORDS] : argv;
}
