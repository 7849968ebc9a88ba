/**
 * Download progress as tqdm-style lines, `hf:user/repo/x.gguf:  42%|████      | 512MB/1.22GB [00:05<00:07, 98.1MB/s]`:
 * the shape huggingface_hub prints, which people know and which the supervisor already reads from
 * a server's stderr (classify-server-output.ts, TQDM) to show "downloading hf:…/x.gguf: 512MB/1.22GB"
 * with its percent. Pure but for the injected clock.
 */

export interface ProgressLine {
  label: string;
  done: number;
  total: number;
  /** Since this download (or resume) started. */
  elapsedMs: number;
  /** Bytes received in that time (less than `done` after a resume): the speed and the ETA come from it. */
  received: number;
}

const BAR_WIDTH = 10;

export function formatProgressLine({ label, done, total, elapsedMs, received }: ProgressLine): string {
  const percent = Math.min(100, Math.floor((done * 100) / total));
  const filled = Math.floor((percent * BAR_WIDTH) / 100);
  const bar = "█".repeat(filled) + " ".repeat(BAR_WIDTH - filled);
  const perSecond = elapsedMs > 0 ? (received * 1000) / elapsedMs : 0;
  const eta = perSecond > 0 ? formatClock(((total - done) * 1000) / perSecond) : "?";
  const speed = perSecond > 0 ? `${formatBytes(perSecond)}/s` : "?B/s";
  return `${label}: ${String(percent).padStart(3)}%|${bar}| ${formatBytes(done)}/${formatBytes(total)} [${formatClock(elapsedMs)}<${eta}, ${speed}]`;
}

/**
 * A progress callback that writes a line when the percent has moved 5 points, or a second has
 * passed and it moved at all, and once at 100%: a 20 GB download on a slow link says it is alive
 * without printing thousands of lines, and a fast one prints about twenty.
 */
export function createDownloadProgress(
  label: string,
  onLine: (line: string) => void,
  now: () => number = Date.now,
): (done: number, total: number | undefined) => void {
  let started: { at: number; bytes: number } | undefined;
  let last: { at: number; percent: number } | undefined;
  return (done, total) => {
    const at = now();
    started ??= { at, bytes: done };
    // Without a size there is no percent; the supervisor would not recognise the line either.
    if (!total) return;
    const percent = Math.min(100, Math.floor((done * 100) / total));
    const due = last === undefined || (percent === 100 ? last.percent < 100 : percent - last.percent >= 5 || (percent > last.percent && at - last.at >= 1000));
    if (!due) return;
    last = { at, percent };
    onLine(formatProgressLine({ label, done, total, elapsedMs: at - started.at, received: done - started.bytes }));
  };
}

/** Decimal units as Hugging Face shows sizes: 950B, 1.19MB, 512MB, 4.92GB. No spaces: the supervisor reads one token. */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)}B`;
  return `${value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2)}${units[unit]}`;
}

/** mm:ss, or h:mm:ss past an hour, as tqdm writes elapsed time and ETA. */
function formatClock(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
  return h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}
