/**
 * How mallex's engine says it cannot have its model — no network to download it, no such file on the
 * Hub, a file that is not a GGUF — which the user must fix, so no restart would help. It prints its
 * sentence (what failed, then what to do) with every line marked, and exits with
 * MODEL_SOURCE_EXIT_CODE; the supervisor that started it reads those lines back and says them as they
 * are, instead of wrapping one of them in "the model server <key> exited while starting (code 1): …".
 * The pair lives here, as engineBackendLine does (gpu-steps.ts), so writer and reader cannot drift.
 */

/** sysexits' EX_NOINPUT ("cannot open input"): the engine's exit when its model cannot be had. */
export const MODEL_SOURCE_EXIT_CODE = 66;

const MARK = "mallex engine: ";

/** The engine's message, each line marked: what it prints before exiting with MODEL_SOURCE_EXIT_CODE. */
export function markModelSourceFailure(message: string): string {
  return message
    .split("\n")
    .map((line) => `${MARK}${line}`)
    .join("\n");
}

/**
 * The marked lines at the end of an engine's output, unmarked, in order; undefined when its last
 * words are not one (blank lines after them are skipped).
 */
export function readModelSourceFailure(tail: readonly string[]): string[] | undefined {
  const lines: string[] = [];
  for (const line of [...tail].reverse()) {
    if (line.startsWith(MARK)) lines.unshift(line.slice(MARK.length));
    else if (lines.length > 0 || line.trim() !== "") break;
  }
  return lines.length > 0 ? lines : undefined;
}
