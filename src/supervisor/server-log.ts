/**
 * MALLEX_HOME/server.log: every line the model servers print, plus mallex's own notes about them,
 * rotated by size (server.log → server.log.1 → … → server.log.N). Synchronous appends: the lines are
 * few (startup, progress, one access line per request) and must be on disk when a start fails.
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../shared/files/private-files.js";

export const SERVER_LOG_NAME = "server.log";

export function serverLogPath(mallexHome: string): string {
  return join(mallexHome, SERVER_LOG_NAME);
}

export interface ServerLog {
  readonly file: string;
  write(line: string): void;
}

export interface ServerLogOptions {
  /** Rotate when the file grows past this (default 5 MiB). */
  maxBytes?: number;
  /** Rotated files kept (default 3). */
  keep?: number;
  /** Called once, on the first failed write (the log is best effort; the server keeps running). */
  onError?(error: unknown): void;
}

export function openServerLog(file: string, options: ServerLogOptions = {}): ServerLog {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 3;
  let size = sizeOf(file);
  let failed = false;
  return {
    file,
    write(line) {
      const text = `${line}\n`;
      const bytes = Buffer.byteLength(text);
      try {
        // Other writers (a second mallex) append too: trust the disk before rotating.
        if (size + bytes > maxBytes && (size = sizeOf(file)) + bytes > maxBytes) {
          rotate(file, keep);
          size = 0;
        }
        if (size === 0) makePrivateDir(dirname(file));
        appendFileSync(file, text, { mode: PRIVATE_FILE_MODE });
        size += bytes;
      } catch (error) {
        if (!failed) options.onError?.(error);
        failed = true;
      }
    },
  };
}

function rotate(file: string, keep: number): void {
  rmSync(`${file}.${keep}`, { force: true });
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  if (keep > 0) renameSync(file, `${file}.1`);
  else rmSync(file, { force: true });
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** The last `lines` lines of a log file (reads at most its last 256 KiB); [] when it does not exist. */
export function readLogTail(file: string, lines: number): string[] {
  const size = sizeOf(file);
  if (size === 0 || lines <= 0) return [];
  const length = Math.min(size, 256 * 1024);
  const buffer = Buffer.alloc(length);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, length, size - length);
  } finally {
    closeSync(fd);
  }
  const all = buffer.toString("utf8").split("\n");
  if (all.at(-1) === "") all.pop();
  if (length < size) all.shift(); // probably a partial first line
  return all.slice(-lines);
}

/**
 * Calls `onText` with what is appended to the file until `signal` aborts (`tail -f`); starts over
 * from the beginning when the file shrinks (it was rotated).
 */
export async function followLog(file: string, onText: (text: string) => void, signal: AbortSignal, intervalMs = 250): Promise<void> {
  let offset = sizeOf(file);
  while (!signal.aborted) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, intervalMs);
      signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
    });
    const size = sizeOf(file);
    if (size < offset) offset = 0;
    if (size === offset) continue;
    const buffer = Buffer.alloc(size - offset);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buffer, 0, buffer.length, offset);
    } finally {
      closeSync(fd);
    }
    offset = size;
    onText(buffer.toString("utf8"));
  }
}
