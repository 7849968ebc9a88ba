#!/usr/bin/env node
// @ts-check
/**
 * A llama-server-like wrapper around the fake mlx-lm.server for the supervisor's out-of-memory
 * retry: `node oom-above-context.js -c N [fake flags…]` runs the fake with `--oom` when N is above
 * OOM_ABOVE (default 4096), so it aborts with Metal's message on the first generation; with a
 * small enough context it serves normally.
 */
import { main, processIO } from "./mlx-lm-server-cli.js";

const args = process.argv.slice(2);
const at = args.indexOf("-c");
const context = at >= 0 ? Number(args[at + 1]) : Number.POSITIVE_INFINITY;
if (at >= 0) args.splice(at, 2);
const limit = Number(process.env.OOM_ABOVE ?? 4096);
await main(context > limit ? [...args, "--oom"] : args, processIO);
