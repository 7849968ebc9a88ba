#!/usr/bin/env node
// @ts-check
/**
 * mlx_lm.server 0.32 when its model cannot be loaded: `node generation-thread-died.js --model M
 * --host H --port P`. The real one loads the model in its generation thread, which dies; the HTTP
 * server goes on, /health answers 503 and every completion 404 {"error": "generation thread died"}
 * (server.py `_await_response`), so the reason is only in what it printed: these lines, mlx-lm
 * 0.32.2's for a --model that is neither a folder nor a Hub id, with HF_HUB_OFFLINE=1.
 * With --late, the error is printed only as it is stopped: output still in the pipe when the
 * probe's answer comes (mlx.launch relays its ranks' lines after their HTTP server answered).
 * With --noise N, N log lines follow the error (another rank's, the launcher's on stopping them).
 * With --relay-ms N, the error is printed N ms after the first refused request, and never once it is
 * stopped: mlx.launch relays a rank's lines a moment after rank 0 answered, and dies on SIGTERM with
 * whatever it has not relayed yet.
 * The record goes out in one write, as Python's logging writes a message and its traceback; with
 * --split-ms N, its traceback comes N ms after its first line (mlx.launch relays what it reads as it
 * reads it, 8 KB at a time, so a record may come in pieces).
 */
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    noise: { type: "string", default: "0" },
    late: { type: "boolean", default: false },
    "relay-ms": { type: "string" },
    "split-ms": { type: "string" },
    model: { type: "string" },
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string" },
  },
});
const model = values.model ?? "";
const why = `Repo id must be in the form 'repo_name' or 'namespace/repo_name': '${model}'. Use \`repo_type\` argument if needed.`;
const log = (/** @type {string} */ line) => process.stderr.write(`${line}\n`);
const relayMs = values["relay-ms"] === undefined ? undefined : Number(values["relay-ms"]);
let relaying = false;
const server = createServer((request, response) => {
  request.resume();
  request.on("end", () => {
    const health = request.url === "/health";
    if (!health && relayMs !== undefined && !relaying) {
      relaying = true;
      setTimeout(printError, relayMs);
    }
    response.writeHead(health ? 503 : 404, { "content-type": "application/json" });
    response.end(JSON.stringify(health ? { status: "unavailable" } : { error: "generation thread died" }));
  });
});
const printError = () => {
  const first = `2026-11-23 21:54:22,214 - ERROR - mlx_lm.server generation thread died: ${why}`;
  const traceback = [
    "Traceback (most recent call last):",
    '  File "/venv/lib/python3.11/site-packages/mlx_lm/server.py", line 544, in _run_generate',
    "    self._generate()",
    `huggingface_hub.errors.HFValidationError: ${why}`,
  ].join("\n");
  const noise = () => {
    for (let i = 0; i < Number(values.noise); i++) log(`2026-11-23 21:54:22,3${String(i).padStart(2, "0")} - INFO - Prompt Cache: 0 sequences, 0.00 GB`);
  };
  if (values["split-ms"] === undefined) {
    log(`${first}\n${traceback}`);
    noise();
    return;
  }
  log(first);
  setTimeout(() => (log(traceback), noise()), Number(values["split-ms"]));
};
server.listen(Number(values.port), values.host, () => {
  log(`2026-11-23 21:54:22,190 - INFO - Starting httpd at ${values.host} on port ${values.port}...`);
  if (!values.late && relayMs === undefined) printError();
});
if (values.late)
  process.once("SIGTERM", () => {
    printError();
    process.exit(143);
  });
