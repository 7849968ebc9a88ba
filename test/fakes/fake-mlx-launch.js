#!/usr/bin/env node
// @ts-check
/**
 * A fake `mlx.launch` (mlx's python/mlx/_distributed_utils/launch.py) for a distributed mlx-lm
 * backend, with no second machine:
 *
 *   fake-mlx-launch.js [--hostfile FILE] [--backend ring|jaccl|jaccl-ring|mpi|nccl] [--hosts H,…]
 *     [--env K=V]… [--cwd DIR] [--python PY] [--starting-port N] [--verbose] … [--] COMMAND…
 *
 * It takes mlx.launch's options, reads the hostfile as mlx.launch does (a list of {ssh, ips, rdma},
 * or {backend, envs, hosts}) and refuses what it refuses, with argparse's `mlx.launch: error: …` and
 * exit status 2. Then it runs COMMAND as rank 0 only (the ranks of the other hosts, reached over ssh
 * by the real launcher, are not run), with MLX_RANK=0 and the hostfile's envs, and forwards SIGTERM,
 * SIGINT and SIGHUP to it. Like the real one, a rank that fails is reported as `[WARN] Node with
 * rank 0 exited with code N` and the launcher itself exits 0.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

const USAGE =
  "usage: mlx.launch [-h] [--print-python] [--verbose] [--hosts HOSTS] [--repeat-hosts REPEAT_HOSTS] [--hostfile HOSTFILE] [--backend BACKEND] [--env ENV] [--mpi-arg MPI_ARG] [--connections-per-ip CONNECTIONS_PER_IP] [--starting-port STARTING_PORT] [--cwd CWD] [--nccl-port NCCL_PORT] [--python PYTHON]";
const VALUE_OPTIONS = new Map([
  ["--hosts", "hosts"], ["--repeat-hosts", "repeat-hosts"], ["-n", "repeat-hosts"], ["--hostfile", "hostfile"], ["--backend", "backend"],
  ["--env", "env"], ["--mpi-arg", "mpi-arg"], ["--connections-per-ip", "connections-per-ip"], ["--starting-port", "starting-port"],
  ["-p", "starting-port"], ["--cwd", "cwd"], ["--nccl-port", "nccl-port"], ["--python", "python"],
]);
const FLAGS = new Map([["--print-python", "print-python"], ["--verbose", "verbose"]]);
const BACKENDS = ["ring", "mpi", "nccl", "jaccl", "jaccl-ring"];

/** argparse's parser.error: usage, the message, exit 2. @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`${USAGE}\nmlx.launch: error: ${message}\n`);
  process.exit(2);
}

/** @param {string[]} argv */
function parseOptions(argv) {
  /** @type {Record<string, string | boolean | string[]>} */
  const options = { env: [], "mpi-arg": [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (word === "--") return { options, command: argv.slice(i + 1) };
    const [name, inline] = word.startsWith("--") && word.includes("=") ? [word.slice(0, word.indexOf("=")), word.slice(word.indexOf("=") + 1)] : [word, undefined];
    const flag = FLAGS.get(name);
    const key = VALUE_OPTIONS.get(name);
    if (flag) options[flag] = true;
    else if (key) {
      const value = inline ?? argv[++i];
      if (value === undefined) fail(`argument ${name}: expected one argument`);
      const list = options[key];
      if (Array.isArray(list)) list.push(value);
      else options[key] = value;
    } else break; // the command starts here (parse_known_args leaves it in `rest`)
  }
  return { options, command: argv.slice(i) };
}

/** Hostfile.from_file. @param {string} path */
function readHostfile(path) {
  if (!existsSync(path)) fail(`Hostfile ${path} doesn't exist`);
  try {
    const data = JSON.parse(readFileSync(path, "utf8"));
    const list = Array.isArray(data) ? data : data.hosts;
    if (!Array.isArray(list)) throw new Error("KeyError: 'hosts'");
    const hosts = list.map((/** @type {any} */ h) => {
      if (typeof h.ssh !== "string") throw new Error("KeyError: 'ssh'");
      return { ssh: h.ssh, ips: Array.isArray(h.ips) ? h.ips : [], rdma: Array.isArray(h.rdma) ? h.rdma : [] };
    });
    return { hosts, backend: Array.isArray(data) ? "" : String(data.backend ?? ""), envs: Array.isArray(data) ? [] : (data.envs ?? []) };
  } catch (error) {
    return fail(`Failed to parse hostfile ${path} (${/** @type {Error} */ (error).message})`);
  }
}

const { options, command } = parseOptions(process.argv.slice(2));
if (options["print-python"]) {
  process.stdout.write(`${options.python ?? process.execPath}\n`);
  process.exit(0);
}
if (command.length === 0) fail("No script is provided");
const hostfile =
  typeof options.hostfile === "string"
    ? readHostfile(options.hostfile)
    : { hosts: String(options.hosts ?? "127.0.0.1").split(",").map((ssh) => ({ ssh, ips: /^[\d.]+$/.test(ssh) ? [ssh] : [], rdma: [] })), backend: "", envs: [] };
const backend = typeof options.backend === "string" ? options.backend : hostfile.backend || "ring";
if (!BACKENDS.includes(backend)) fail("The backend should be one of {'ring', 'mpi', 'nccl', 'jaccl', 'jaccl-ring'}");
if (backend === "ring" && hostfile.hosts.some((h) => h.ips.length === 0)) fail("The ring backend requires IPs to be provided instead of hostnames");
if (backend.startsWith("jaccl")) {
  if (hostfile.hosts[0]?.ips.length === 0) fail("Rank 0 should have an IP reachable from all other ranks");
  const n = hostfile.hosts.length;
  if (!hostfile.hosts.every((h, i) => h.rdma.length === n && h.rdma[i] === null)) fail("Malformed hostfile for jaccl backend");
}

/** @type {Record<string, string>} */
const env = { MLX_RANK: "0" };
for (const entry of [...hostfile.envs, .../** @type {string[]} */ (options.env)]) {
  const [key, ...value] = String(entry).split("=");
  if (key) env[key] = value.join("=");
}
if (options.verbose) process.stderr.write(`\u001b[32m[INFO] Running ${command.join(" ")} \u001b[0m\n`);
const program = typeof options.python === "string" ? options.python : command[0] ?? "";
const args = typeof options.python === "string" ? command : command.slice(1);
const rank0 = spawn(program, args, { stdio: "inherit", env: { ...process.env, ...env }, cwd: typeof options.cwd === "string" ? options.cwd : undefined });
for (const signal of /** @type {const} */ (["SIGTERM", "SIGINT", "SIGHUP"])) {
  process.on(signal, () => {
    rank0.kill(signal);
  });
}
rank0.on("error", (error) => {
  process.stderr.write(`\u001b[33m[WARN] Node with rank 0 exited with code 127 (${error.message}) \u001b[0m\n`);
  process.exit(0);
});
rank0.on("exit", (code, signal) => {
  if (signal !== null) process.stderr.write(`\u001b[33m[WARN] Node with rank 0 was killed \u001b[0m\n`);
  else if (code !== 0) process.stderr.write(`\u001b[33m[WARN] Node with rank 0 exited with code ${code} \u001b[0m\n`);
  process.exit(0);
});
