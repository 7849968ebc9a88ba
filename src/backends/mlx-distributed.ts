/**
 * mlx-lm serving one model across several Macs: the `supervise.distributed:` block of an mlx-lm
 * backend turns its server command into an `mlx.launch` command line, and tells the supervisor
 * where rank 0's HTTP server is.
 *
 * What the real sources do (mlx's python/mlx/_distributed_utils/launch.py and common.py, formerly
 * distributed_run.py; mlx-lm's mlx_lm/server.py):
 *
 * - `mlx.launch [--hostfile FILE] [--backend ring|jaccl|jaccl-ring|mpi|nccl] [--env K=V]…
 *   [--cwd DIR] [--python PY] [--starting-port N] [--verbose] [--] COMMAND…` parses its own options
 *   with argparse `parse_known_args`, anywhere before a `--` and by any unique prefix; everything else
 *   is the command, a leading `--` dropped. The `--` matters: without it mlx_lm.server's `--host X`
 *   is refused as ambiguous (--hosts or --hostfile), and a `--verbose` would be the launcher's. Errors
 *   are argparse's: `mlx.launch: error: …`, exit status 2 (e.g. "Hostfile X doesn't exist", "Failed
 *   to parse hostfile X (…)", "The ring backend requires IPs to be provided instead of hostnames",
 *   "Rank 0 should have an IP reachable from all other ranks", "The hostfile is malformed: …" for
 *   jaccl's rdma matrix).
 * - The hostfile is JSON: a list of hosts `{"ssh": name, "ips": [...], "rdma": [...]}`, or an object
 *   `{"backend": …, "envs": [...], "hosts": [...]}` (what `mlx.distributed_config` writes). The
 *   host's index is its rank: the first host is rank 0. A `--backend` on the command line wins over
 *   the file's. ring needs `ips` on every host; jaccl needs rank 0's `ips` and an `rdma` matrix.
 * - Each rank runs the same command: over `ssh -tt HOST` (so a remote rank dies with its ssh
 *   connection), or locally when the host is exactly "127.0.0.1", in the launcher's working
 *   directory, with MLX_RANK and the backend's variables set (ring: MLX_HOSTFILE, a file of every
 *   rank's address, rank r on --starting-port + r, 32323 by default). One rank exiting with an error
 *   stops the others; the launcher itself then exits 0, whatever its ranks did. SIGTERM ends the
 *   launcher alone (it passes no signal on): its local ranks keep running unless their process group
 *   is signalled. So every path in the command (the venv's mlx_lm.server) must exist on every host.
 * - mlx_lm.server (distributed since mlx-lm 0.30.6, "Support distributed inference in the server")
 *   calls `mx.distributed.init()`: only rank 0 runs the HTTP server, on its own `--host`/`--port`;
 *   the other ranks receive each request from rank 0 and generate in lockstep. The model is sharded
 *   by tensor parallelism, or by layers with `--pipeline`. Adapters and draft models are refused in
 *   distributed mode.
 *
 * So: the supervisor runs `LAUNCHER --hostfile FILE --backend B -- SERVER_COMMAND [--pipeline]` as
 * one process group (stopping it stops the local ranks and drops the ssh connections of the remote
 * ones), and probes rank 0: 127.0.0.1 when rank 0 is this machine, else `rank0_host`, in which case
 * the server must listen beyond its loopback ({host} becomes 0.0.0.0).
 *
 * Run for real (test/real-mlx-distributed.test.ts): two loopback ranks of mlx_lm.server 0.32.2 under
 * mlx 0.32.4's mlx.launch on Linux's CPU serve the kit's model, tensor parallel and --pipeline, with
 * the single process's greedy answer. --pipeline needs model.safetensors.index.json in the model
 * folder (mlx-lm's sharded_load reads it; mlx_lm.convert writes it).
 */
import type { CompiledDistributed } from "../compile/routing-table.js";
import { isLoopbackHost } from "../http/check-auth.js";

/** The first mlx-lm whose server runs under mlx.launch. */
export const MIN_MLX_LM_DISTRIBUTED = "0.30.6";

export interface DistributedCommand {
  /** The command line the supervisor runs (placeholders still in it). */
  command: string;
  /** Host of rank 0's HTTP server, when it is not this machine. */
  reachHost?: string;
}

/**
 * `mlx.launch --hostfile FILE --backend B -- SERVER_COMMAND [--pipeline]`. With rank 0 on another
 * machine, the server's {host} is 0.0.0.0: 127.0.0.1 there could not be reached from here.
 */
export function distributedCommand(serverCommand: string, distributed: CompiledDistributed): DistributedCommand {
  const remote = distributed.rank0Host !== undefined && !isLoopbackHost(distributed.rank0Host) ? distributed.rank0Host : undefined;
  const server = remote === undefined ? serverCommand : serverCommand.replaceAll("{host}", "0.0.0.0");
  const command = `${distributed.launcher} --hostfile ${quoteWord(distributed.hostfile)} --backend ${distributed.backend} -- ${server}${distributed.pipeline ? " --pipeline" : ""}`;
  return remote === undefined ? { command } : { command, reachHost: remote };
}

/** One host of a hostfile, as mlx.launch reads it. */
export interface HostfileHost {
  ssh: string;
  ips: string[];
}

export type ParsedHostfile = { ok: true; hosts: HostfileHost[]; backend?: string } | { ok: false; message: string };

/**
 * Reads a hostfile's text the way mlx.launch does (a list of hosts, or `{hosts, backend, envs}`), and
 * checks what mlx.launch would refuse for this backend; `message` says what is wrong, naming the file.
 */
export function parseHostfile(text: string, path: string, backend: CompiledDistributed["backend"]): ParsedHostfile {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, message: `the hostfile ${path} is not valid JSON (${(error as Error).message})` };
  }
  const list = Array.isArray(data) ? data : isObject(data) ? data.hosts : undefined;
  if (!Array.isArray(list) || list.length === 0)
    return { ok: false, message: `the hostfile ${path} lists no hosts: it needs a list of {"ssh": "host", "ips": ["address"]}` };
  const hosts: HostfileHost[] = [];
  for (const [rank, entry] of list.entries()) {
    if (!isObject(entry) || typeof entry.ssh !== "string" || entry.ssh === "")
      return { ok: false, message: `host ${rank} of the hostfile ${path} has no "ssh" name` };
    const ips = Array.isArray(entry.ips) ? entry.ips.filter((ip): ip is string => typeof ip === "string") : [];
    hosts.push({ ssh: entry.ssh, ips });
  }
  if (backend === "ring" && hosts.some((h) => h.ips.length === 0)) {
    const named = hosts
      .filter((h) => h.ips.length === 0)
      .map((h) => h.ssh)
      .join(", ");
    return { ok: false, message: `the ring backend needs "ips" for every host of ${path}, and ${named} has none` };
  }
  if (backend === "jaccl" && hosts[0]!.ips.length === 0)
    return { ok: false, message: `jaccl needs rank 0 (${hosts[0]!.ssh}) to have "ips" in ${path}, reachable from every other host` };
  const declared = isObject(data) && typeof data.backend === "string" && data.backend !== "" ? data.backend : undefined;
  return declared === undefined ? { ok: true, hosts } : { ok: true, hosts, backend: declared };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A word the supervisor's command splitter reads back as it was (paths with spaces or quotes). */
function quoteWord(word: string): string {
  return /^[\w@%+=:,./~-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
