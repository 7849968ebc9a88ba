#!/usr/bin/env node
// @ts-check
/**
 * Plays mallex for the orphan and keep tests: supervises a command (from the built dist/), installs
 * stopAllOnExit, prints `READY <server pid>` once the server answers (`REUSED` when it adopted a
 * kept one), then waits for a signal; with `keep`, it keeps the server (on_exit: keep), prints
 * `KEPT <pid>` and ends normally, its exit handlers still installed; with `crash`, it dies of an
 * uncaught exception.
 *
 *   MALLEX_HOME=DIR node test/helpers/supervisor-owner.js 'COMMAND' [keep|crash]
 */
import { createSupervisor } from "../../dist/src/supervisor/create-supervisor.js";
import { stopAllOnExit } from "../../dist/src/supervisor/processes/stop-all-on-exit.js";

const command = process.argv[2];
const mode = process.argv[3];
const mallexHome = process.env.MALLEX_HOME;
if (!command || !mallexHome) throw new Error("usage: MALLEX_HOME=DIR supervisor-owner.js 'COMMAND'");
const supervisor = createSupervisor(
  {
    key: "owner--fake",
    command,
    model: "mlx-community/Test-4bit",
    install: [],
    readiness: { probe: "generate", timeoutMs: 10_000 },
    idleUnloadMs: 0,
    wedgeTimeoutMs: 0,
    maxRestarts: 1,
    restartWindowMs: 60_000,
  },
  {
    mallexHome,
    onEvent: (event) => {
      process.stderr.write(`event ${JSON.stringify(event)}\n`);
      if (event.type === "ready" && event.reused) process.stdout.write("REUSED\n");
    },
    stopTimeoutMs: 3000,
  },
);
stopAllOnExit([supervisor]);
await supervisor.ensureReady();
process.stdout.write(`READY ${supervisor.pid}\n`);
if (mode === "keep") process.stdout.write(`KEPT ${supervisor.keep()?.pid}\n`);
else if (mode === "crash")
  setTimeout(() => {
    throw new Error("the owner crashed");
  }, 50);
else setInterval(() => {}, 60_000);
