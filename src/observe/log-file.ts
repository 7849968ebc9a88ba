import { appendFileSync } from "node:fs";
import { open, rename, stat, type FileHandle } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { RoutingTable } from "../compile/routing-table.js";
import { escapeLogText } from "./escape-log-text.js";
import { clipText, RETENTION_LIMITS } from "../shared/retention-limits.js";
import { makePrivateDir, PRIVATE_FILE_MODE } from "../shared/files/private-files.js";

/** Where mallex's one-line-per-event log goes: observability.log_file under MALLEX_HOME. */
export function logFilePath(mallexHome: string, table: RoutingTable): string {
  return join(mallexHome, table.observability.logFile ?? "mallex.log");
}

/** Rotation as the schema's defaults have it: 10 MB, then mallex.log.1 … mallex.log.3. */
export const LOG_ROTATION_DEFAULTS = Object.freeze({ maxBytes: 10 * 1024 * 1024, maxFiles: 3 });

export interface LogRotation {
  /** Rotate before a write would take the file past this size; 0 never rotates. */
  maxBytes: number;
  /** Rotated files kept (file.1 is the newest); older ones are dropped. */
  maxFiles: number;
}

/** The rotation a routing table asks for (tables compiled before it was configurable get the defaults). */
export function logRotationOf(table: RoutingTable): LogRotation {
  return {
    maxBytes: table.observability.logMaxBytes ?? LOG_ROTATION_DEFAULTS.maxBytes,
    maxFiles: table.observability.logMaxFiles ?? LOG_ROTATION_DEFAULTS.maxFiles,
  };
}

export interface LogWriter {
  /**
   * Queues one timestamped line (control characters escaped, see escapeLogText) and shows the
   * escaped line through `echo` (the terminal, or nothing). Never touches the disk itself: the
   * request path does not wait for the log.
   */
  write(line: string, echo?: (line: string) => void): void;
  /** Resolves once every line written so far is in the file. */
  flush(): Promise<void>;
  /** Flushes and stops watching for the process exit. Lines written after this are only echoed. */
  close(): Promise<void>;
}

export interface LogWriterOptions {
  /** Default LOG_ROTATION_DEFAULTS. */
  rotation?: LogRotation;
  /** Told once when the file cannot be written (the lines still go to `echo`). */
  onError?(message: string): void;
  now?(): Date;
  /** Registers the last-chance synchronous flush on exit; returns its disposer (default: process 'exit'). */
  onExit?(flushSync: () => void): () => void;
}

/**
 * The log file as an asynchronous, buffered, rotating writer: lines queue in memory and are appended
 * in batches off the request path; the file rotates by size (file → file.1 → … → file.N). Pending
 * lines are written on close(), and synchronously if the process exits before that.
 *
 * @example
 * const log = createLogWriter(logFilePath(home, table), { rotation: logRotationOf(table) });
 * log.write("m → qwen (default → medium) · …", print);
 * await log.close();
 */
export function createLogWriter(file: string, options: LogWriterOptions = {}): LogWriter {
  const rotation = options.rotation ?? LOG_ROTATION_DEFAULTS;
  const now = options.now ?? (() => new Date());
  makePrivateDir(dirname(file));
  let pending: string[] = [];
  let draining: Promise<void> | undefined;
  let size: number | undefined;
  // Kept open between batches (an open and a close per batch cost more than the write); closed
  // before a rotation renames the file and on close(); the process exit leaves it to the OS.
  let handle: FileHandle | undefined;
  let failed = false;
  let closed = false;

  const report = (error: unknown) => {
    if (failed) return;
    failed = true;
    options.onError?.(`mallex: cannot write the log file ${file}: ${(error as Error).message}`);
  };

  const currentSize = async () => {
    try {
      return (await stat(file)).size;
    } catch {
      return 0;
    }
  };

  const append = async (text: string) => {
    handle ??= await open(file, "a", PRIVATE_FILE_MODE);
    await handle.appendFile(text);
  };

  const closeHandle = async () => {
    const kept = handle;
    handle = undefined;
    await kept?.close().catch(() => undefined);
  };

  /**
   * Whether the kept handle still is `file` (another mallex sharing it may have rotated it): if not,
   * it is closed so the next append opens the new file. Lines written since went to the rotated file.
   */
  const followRename = async () => {
    if (handle === undefined) return;
    const [onPath, onHandle] = await Promise.all([stat(file).catch(() => undefined), handle.stat()]);
    if (onPath === undefined || onPath.ino !== onHandle.ino || onPath.dev !== onHandle.dev) await closeHandle();
  };

  const rotate = async () => {
    await closeHandle();
    for (let i = rotation.maxFiles - 1; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
    if (rotation.maxFiles >= 1) await rename(file, `${file}.1`).catch(() => undefined);
    size = 0;
  };

  /** Appends lines, rotating first whenever the next line would take the file past maxBytes. */
  const appendRotating = async (lines: readonly string[]) => {
    size ??= await currentSize();
    let batch = "";
    let batchBytes = 0;
    for (const line of lines) {
      const bytes = Buffer.byteLength(line);
      if (rotation.maxBytes > 0 && size + batchBytes > 0 && size + batchBytes + bytes > rotation.maxBytes) {
        if (batch !== "") await append(batch);
        size += batchBytes;
        batch = "";
        batchBytes = 0;
        // Another mallex may share the file (and may have rotated it): look again before rotating.
        await followRename();
        size = await currentSize();
        if (size > 0 && size + bytes > rotation.maxBytes) await rotate();
      }
      batch += line;
      batchBytes += bytes;
    }
    if (batch !== "") await append(batch);
    size += batchBytes;
  };

  const drain = async () => {
    // One batch per turn of the event loop: every line logged meanwhile goes in the same append.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (pending.length > 0) {
      const lines = pending;
      pending = [];
      try {
        await appendRotating(lines);
      } catch (error) {
        size = undefined;
        await closeHandle();
        report(error);
      }
    }
    draining = undefined;
  };

  const flushSync = () => {
    if (pending.length === 0) return;
    const chunk = pending.join("");
    pending = [];
    try {
      appendFileSync(file, chunk, { mode: PRIVATE_FILE_MODE });
    } catch (error) {
      report(error);
    }
  };
  const disposeExit = (options.onExit ?? onProcessExit)(flushSync);

  const flush = async () => {
    while (draining) await draining;
  };
  return {
    write(line, echo) {
      // Clipped before it is escaped: a 30 MB model name in a line costs 16 KiB here, not a rotation.
      const safe = escapeLogText(clipText(line, RETENTION_LIMITS.logLineChars));
      echo?.(safe);
      if (closed) return;
      pending.push(`${now().toISOString()} ${safe}\n`);
      draining ??= drain();
    },
    flush,
    async close() {
      await flush();
      closed = true;
      await closeHandle();
      disposeExit();
    },
  };
}

function onProcessExit(flushSync: () => void): () => void {
  process.on("exit", flushSync);
  return () => process.off("exit", flushSync);
}
