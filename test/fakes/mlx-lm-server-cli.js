#!/usr/bin/env node
// @ts-check
/**
 * The fake mlx-lm.server as a process, to stand in for the real server command:
 *
 *   node test/fakes/mlx-lm-server-cli.js --port N --model ID [--host 127.0.0.1]
 *     [--script FILE.json] [--load-ms N] [--download-progress] [--max-tokens N]
 *     [--crash-after-requests N] [--crash-after-ms N] [--wedge-after-requests N]
 *     [--wedge-mode all|generation] [--oom] [--token-delay-ms N] [--respond FILE.js]
 *
 * `--respond FILE.js`: an ES module whose default export answers each request the script queue
 * does not (the in-process `respond` option), so a test can script a whole conversation.
 *
 * Every real `mlx_lm.server` flag is accepted (most are ignored); an unknown one exits 2
 * like argparse. Logs go to stderr in the real server's format. `--port 0` picks a free
 * port and logs the real one. SIGTERM kills the process by that signal, as it does the
 * Python server; SIGINT shuts down and exits 0 (KeyboardInterrupt).
 */
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { createFakeMlxServer } from "./mlx-lm-server.js";
import { asctime } from "./mlx/python-log.js";

export const METAL_OOM_MESSAGE =
  "libc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)";

const REAL_STRING_FLAGS = [
  "model",
  "adapter-path",
  "host",
  "port",
  "allowed-origins",
  "draft-model",
  "num-draft-tokens",
  "log-level",
  "chat-template",
  "temp",
  "top-p",
  "top-k",
  "min-p",
  "max-tokens",
  "chat-template-args",
  "decode-concurrency",
  "prompt-concurrency",
  "prefill-step-size",
  "prompt-cache-size",
  "prompt-cache-bytes",
];
const REAL_BOOLEAN_FLAGS = ["trust-remote-code", "use-default-chat-template", "pipeline"];
const FAKE_STRING_FLAGS = ["script", "respond", "load-ms", "crash-after-requests", "crash-after-ms", "wedge-after-requests", "wedge-mode", "token-delay-ms"];
const FAKE_BOOLEAN_FLAGS = ["download-progress", "oom"];

/**
 * @typedef {{ stderr: { write(text: string): unknown }, exit: (code: number) => void,
 *   kill: (signal: NodeJS.Signals) => void, onSignal: (signal: NodeJS.Signals, handler: () => void) => void }} ProcessIO
 */

/**
 * Parses the arguments, starts the server and wires the failure modes.
 * @param {string[]} rawArgs
 * @param {ProcessIO} io
 */
export async function main(rawArgs, io) {
  const args = parseFlags(rawArgs, io);
  const text = (/** @type {string} */ name) => (typeof args[name] === "string" ? String(args[name]) : undefined);
  const log = (/** @type {string} */ line) => io.stderr.write(`${line}\n`);
  const host = text("host") ?? "127.0.0.1";
  const loadMs = numberFlag(args["load-ms"], 0);
  let generations = 0;
  /**
   * Prints the fatal message and exits; the pending promise keeps the request from going on.
   * @param {number} code @param {string} message @returns {Promise<never>}
   */
  const die = (code, message) => {
    io.stderr.write(`${message}\n`);
    setTimeout(() => io.exit(code), 20); // let the bytes already written reach the client
    return new Promise(() => {});
  };
  const crash = () =>
    die(
      139,
      'Fatal Python error: Segmentation fault\n\nCurrent thread 0x0000000170e7b000 (most recent call first):\n  File "mlx_lm/generate.py", line 412 in _step',
    );

  const mlx = await createFakeMlxServer({
    model: text("model"),
    host,
    port: numberFlag(args.port, 8080),
    maxTokens: numberFlag(args["max-tokens"], 512),
    loadMs,
    prefillStepSize: numberFlag(args["prefill-step-size"], 2048),
    promptCacheSize: numberFlag(args["prompt-cache-size"], 10),
    tokenDelayMs: numberFlag(args["token-delay-ms"], 0),
    script: readScript(text("script")),
    ...(text("respond") ? { respond: (await import(pathToFileURL(String(text("respond"))).href)).default } : {}),
    log,
    onGeneration: ({ phase }) => {
      if (phase === "prefill" && args.oom) return die(134, METAL_OOM_MESSAGE);
      if (phase !== "done") return;
      generations += 1;
      if (generations === numberFlag(args["crash-after-requests"], -1)) return crash();
      if (generations === numberFlag(args["wedge-after-requests"], -1)) {
        mlx.wedge(args["wedge-mode"] === "generation" ? "generation" : "all");
      }
    },
  });

  // Before the first log line: a supervisor may signal as soon as it sees "Starting httpd".
  io.onSignal("SIGTERM", () => void mlx.close().then(() => io.kill("SIGTERM")));
  io.onSignal("SIGINT", () => void mlx.close().then(() => io.exit(0)));
  log(
    "/opt/homebrew/lib/python3.12/site-packages/mlx_lm/server.py:1650: UserWarning: mlx_lm.server is not recommended for production as it only implements basic security checks.\n  warnings.warn(",
  );
  log(`${asctime(Date.now())} - INFO - Starting httpd at ${host} on port ${mlx.port}...`);
  printFetching(io, Boolean(args["download-progress"]), loadMs);
  const crashAfterMs = numberFlag(args["crash-after-ms"], -1);
  if (crashAfterMs >= 0) setTimeout(crash, crashAfterMs);

  return mlx;
}

/**
 * `snapshot_download`'s tqdm output: one finished line when the files are cached, or
 * `\r`-separated progress updates spread over the load when `--download-progress` is set.
 * @param {ProcessIO} io
 * @param {boolean} downloading
 * @param {number} loadMs
 */
function printFetching(io, downloading, loadMs) {
  const bar = (/** @type {number} */ done) => `${"█".repeat(done)}${" ".repeat(10 - done)}`;
  if (!downloading) {
    io.stderr.write(`Fetching 9 files: 100%|${bar(10)}| 9/9 [00:00<00:00, 86480.49it/s]\n`);
    return;
  }
  const steps = 5;
  io.stderr.write(`Fetching 9 files:   0%|${bar(0)}| 0/9 [00:00<?, ?it/s]`);
  for (let step = 1; step <= steps; step++) {
    setTimeout(
      () => {
        const gb = ((5.3 * step) / steps).toFixed(2);
        const percent = String((100 * step) / steps).padStart(3);
        const line = `model-00001-of-00004.safetensors: ${percent}%|${bar(2 * step)}| ${gb}G/5.30G [00:0${step}<00:00, 1.06GB/s]`;
        io.stderr.write(step < steps ? `\r${line}` : `\r${line}\nFetching 9 files: 100%|${bar(10)}| 9/9 [00:0${steps}<00:00,  1.80it/s]\n`);
      },
      (0.8 * loadMs * step) / steps,
    );
  }
}

/** @param {string[]} rawArgs @param {ProcessIO} io @returns {Record<string, string | boolean | undefined>} */
function parseFlags(rawArgs, io) {
  /** @type {Record<string, { type: "string" | "boolean" }>} */
  const options = {};
  for (const name of [...REAL_STRING_FLAGS, ...FAKE_STRING_FLAGS]) options[name] = { type: "string" };
  for (const name of [...REAL_BOOLEAN_FLAGS, ...FAKE_BOOLEAN_FLAGS]) options[name] = { type: "boolean" };
  try {
    return parseArgs({ args: rawArgs, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    io.stderr.write(
      `usage: mlx_lm.server [-h] [--model MODEL] [--host HOST] [--port PORT] ...\nmlx_lm.server: error: ${/** @type {Error} */ (error).message}\n`,
    );
    io.exit(2);
    throw error;
  }
}

/** `--script FILE.json`: a JSON array of scripted responses. @param {string | undefined} file */
function readScript(file) {
  return file === undefined ? [] : JSON.parse(readFileSync(file, "utf8"));
}

/** @param {string | boolean | undefined} value @param {number} fallback */
function numberFlag(value, fallback) {
  return typeof value === "string" && value.trim() !== "" ? Number(value) : fallback;
}

/** The real process as ProcessIO, for the scripts that run the fake as a server process. @type {ProcessIO} */
export const processIO = {
  stderr: process.stderr,
  exit: (code) => process.exit(code),
  kill: (signal) => {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  },
  onSignal: (signal, handler) => void process.once(signal, handler),
};

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main(process.argv.slice(2), processIO);
}
