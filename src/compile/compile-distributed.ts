import { isAbsolute, resolve } from "node:path";
import type { Supervise } from "../../generated/config.js";
import type { CompiledDistributed } from "./routing-table.js";

// The compile-time half of mlx-lm distributed serving (backends/mlx-distributed.ts has what it runs):
// the `supervise.distributed:` block as the routing table keeps it.

/** Where the compile finds what a declared path is relative to. */
export interface PathBase {
  /** Folder of the config file. */
  configDir: string;
  home: string;
}

/** The hostfile's absolute path: `~` is home, a relative path is relative to the config file's folder. */
export function resolveHostfilePath(declared: string, base: PathBase): string {
  const expanded = declared === "~" ? base.home : declared.startsWith("~/") ? `${base.home}${declared.slice(1)}` : declared;
  return isAbsolute(expanded) ? expanded : resolve(base.configDir, expanded);
}

/** The `distributed:` block with the schema's defaults applied, as the routing table keeps it. */
export function compileDistributed(block: NonNullable<Supervise["distributed"]>, venv: boolean | string | undefined, base: PathBase): CompiledDistributed {
  const compiled: CompiledDistributed = {
    hostfile: resolveHostfilePath(block.hostfile, base),
    backend: block.backend ?? "ring",
    pipeline: block.pipeline ?? false,
    launcher: block.launcher ?? (venv ? "{venv}/bin/mlx.launch" : "mlx.launch"),
  };
  if (block.rank0_host !== undefined) compiled.rank0Host = block.rank0_host;
  return compiled;
}
