/** The sentences a user reads when a server exits, wedges or runs out of memory. Pure. */
import type { ExitInfo } from "./launch-server.js";

/** "code 139 (segmentation fault)", "killed by SIGKILL". */
export function describeExit(info: ExitInfo): string {
  if (info.spawnError) return info.spawnError;
  if (info.adopted) return "its process is gone (mallex reused it from an earlier session, so its exit status is unknown; see server.log)";
  if (info.signal) return `killed by ${info.signal}`;
  const meaning: Record<number, string> = { 134: "abort", 137: "killed", 139: "segmentation fault", 2: "bad arguments", 127: "command not found" };
  const code = info.code ?? -1;
  return meaning[code] ? `code ${code} (${meaning[code]})` : `code ${code}`;
}

/** 90_000 → "1.5 min", 30 * 60_000 → "30 min", 4_000 → "4 s". */
export function formatDuration(ms: number): string {
  if (ms >= 60_000) return `${Number((ms / 60_000).toFixed(1))} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Out of GPU memory: what happened, what to do, and what mallex does about it. */
export function outOfMemorySentence(model: string, retry?: { from: number; to: number }): string {
  const what = `The model server ran out of GPU memory (Metal "Insufficient Memory") with ${model}: the weights plus the context do not fit.`;
  if (retry) return `${what} mallex restarts it with a context of ${retry.to} tokens instead of ${retry.from}.`;
  return `${what} Pick a smaller model or quantization, lower the context size, or quit apps that use GPU memory.`;
}

/**
 * The line worth quoting from a server's output: the last error-like line, else the last ordinary one.
 * Colour codes are dropped (mlx.launch colours its `[WARN] Node with rank 1 exited with code -6`
 * lines even into a file). "terminate called without an active exception" is never the reason: the
 * C++ runtime prints it when a process ends with a thread still running, as a distributed mlx-lm
 * rank does after its Python error (printed just before), so that error is quoted instead. It is
 * dropped wherever it stands in a line: mlx.launch copies its ranks' output in chunks, not lines, so
 * it can land inside the launcher's own `[WARN]` line (seen in CI: `[WARN]terminate called …`).
 */
export function lastMeaningfulLine(lines: readonly string[]): string | undefined {
  const candidates = quotable(lines);
  return (candidates.find(isErrorLike) ?? candidates[0])?.trim();
}

/** The last error-like line of a server's output, or undefined when it printed none. */
export function lastErrorLine(lines: readonly string[]): string | undefined {
  return quotable(lines).find(isErrorLike)?.trim();
}

/** The lines that can be quoted, last first: no traceback frames, no blank or tag-only lines, no colour codes. */
function quotable(lines: readonly string[]): string[] {
  return [...lines]
    .reverse()
    .map((line) => line.replace(/\u001b\[[\d;]*m/g, "").replace(/terminate called without an active exception/g, ""))
    .filter((line) => !/^\s*(\[(INFO|WARN|ERROR)\])?\s*$/.test(line) && !/^\s*(File |Traceback|warnings\.warn|Current thread|Thread 0x)/.test(line));
}

function isErrorLike(line: string): boolean {
  return /error|exception|fatal|abort|out of memory|insufficient memory/i.test(line);
}
