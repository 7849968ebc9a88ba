/**
 * A kept server outlives the mallex that started it, but its stdout/stderr are pipes that mallex
 * reads: once mallex exits, the next line the server prints fails (EPIPE; SIGPIPE kills
 * llama-server, mlx-lm.server's request handler throws BrokenPipeError and the request fails). So
 * before mallex lets go of a server, it hands both pipes to this small detached process, which goes
 * on appending the server's lines to server.log (rotated like ServerLog) and exits when the server
 * (every process holding the pipes' write ends) is gone.
 *
 * The sink is plain JavaScript passed to `node -e` (no file to find, from src/ or dist/), in its own
 * session, so closing the terminal does not stop it.
 */
import { spawn } from "node:child_process";
import { MAX_SERVER_LINE_CHARS } from "./server-line-limit.js";
import type { Readable } from "node:stream";

export interface OutputSinkOptions {
  /** server.log */
  file: string;
  /** Rotate past this size (default 5 MiB, as ServerLog). */
  maxBytes?: number;
  /** Rotated files kept (default 3). */
  keep?: number;
}

/** The sink's source: fds 3 and 4 are the server's stdout and stderr; argv: FILE MAX_BYTES KEEP. */
export const OUTPUT_SINK_SOURCE = `
const fs = require("node:fs"), net = require("node:net");
const [file, maxArg, keepArg] = process.argv.slice(1);
const maxBytes = Number(maxArg) || 5242880, keep = Math.max(0, Number(keepArg) || 0);
for (const signal of ["SIGHUP", "SIGINT"]) process.on(signal, () => {});
const sizeOf = () => { try { return fs.statSync(file).size; } catch { return 0; } };
const rotate = () => {
  fs.rmSync(file + "." + keep, { force: true });
  for (let i = keep - 1; i >= 1; i--) if (fs.existsSync(file + "." + i)) fs.renameSync(file + "." + i, file + "." + (i + 1));
  if (keep > 0) fs.renameSync(file, file + ".1"); else fs.rmSync(file, { force: true });
};
const write = (text) => {
  try {
    if (sizeOf() + Buffer.byteLength(text) > maxBytes) rotate();
    fs.appendFileSync(file, text, { mode: 0o600 });
  } catch {}
};
let open = 0;
for (const fd of [3, 4]) {
  let stream;
  try { stream = new net.Socket({ fd, readable: true, writable: false }); } catch { continue; }
  open++;
  let partial = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk) => {
    const parts = (partial + chunk).split(/\\r\\n|\\r|\\n/);
    partial = parts.pop();
    // A line that never ends is written in pieces, never held whole.
    if (partial.length > ${MAX_SERVER_LINE_CHARS}) { parts.push(partial); partial = ""; }
    const lines = parts.filter((line) => line.trim() !== "");
    if (lines.length > 0) write(lines.join("\\n") + "\\n");
  });
  stream.on("error", () => {});
  stream.on("close", () => {
    if (partial.trim() !== "") write(partial + "\\n");
    if (--open === 0) process.exit(0);
  });
}
if (open === 0) process.exit(0);
`;

/**
 * Starts the sink on the server's output streams; the caller then destroys its own ends. Returns
 * the sink's pid (undefined when it could not be started: the server then dies on its next line).
 */
export function startOutputSink(
  streams: { stdout: Readable | null | undefined; stderr: Readable | null | undefined },
  options: OutputSinkOptions,
): number | undefined {
  const args = ["-e", OUTPUT_SINK_SOURCE, options.file, String(options.maxBytes ?? 5 * 1024 * 1024), String(options.keep ?? 3)];
  try {
    const sink = spawn(process.execPath, args, {
      detached: true,
      stdio: ["ignore", "ignore", "ignore", streams.stdout ?? "ignore", streams.stderr ?? "ignore"],
    });
    sink.on("error", () => {});
    sink.unref();
    return sink.pid;
  } catch {
    return undefined;
  }
}
