#!/usr/bin/env node
// @ts-check
/**
 * Plays mallex for the orphan tests: supervises a command (from the built dist/), installs
 * stopAllOnExit, prints `READY <server pid>` once the server answers, then waits for a signal.
 *
 *   MALLEX_HOME=DIR node test/helpers/supervisor-owner.js 'COMMAND'
 */
import { createSupervisor } from "../../dist/src/supervisor/create-supervisor.js";
import { stopAllOnExit } from "../../dist/src/supervisor/stop-all-on-exit.js";

const command = process.argv[2];
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
  { mallexHome, onEvent: (event) => process.stderr.write(`event ${JSON.stringify(event)}\n`), stopTimeoutMs: 3000 },
);
stopAllOnExit([supervisor]);
await supervisor.ensureReady();
process.stdout.write(`READY ${supervisor.pid}\n`);
setInterval(() => {}, 60_000);
