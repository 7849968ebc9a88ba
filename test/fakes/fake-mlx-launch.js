#!/usr/bin/env node
// @ts-check
/**
 * A fake `mlx.launch` (mlx 0.32's python/mlx/_distributed_utils/launch.py and common.py) for a
 * distributed mlx-lm backend, with no second machine:
 *
 *   fake-mlx-launch.js [--hostfile FILE] [--backend ring|jaccl|jaccl-ring] [--hosts H,…] [--env K=V]…
 *     [--cwd DIR] [--python PY] [--starting-port N] [--verbose] … [--] COMMAND…
 *
 * What test/real-mlx-distributed.test.ts checks against the real one:
 * - Options as argparse's parse_known_args takes them: anywhere before `--` (so a command's own
 *   options need the `--`), a unique prefix of a long option for the option (`--host` is ambiguous
 *   between --hosts and --hostfile), everything else left for the command. Its errors are argparse's:
 *   usage, `mlx.launch: error: …`, exit status 2; so are the hostfile's and the backend's.
 * - The ranks of the hosts named exactly 127.0.0.1 run here, as the real one runs them (the others it
 *   reaches over ssh; this fake skips them: they stand for other Macs), with MLX_RANK, the hostfile's
 *   and --env's variables, and for ring MLX_HOSTFILE naming a file of the ring's addresses (rank r on
 *   --starting-port + r). One rank failing stops the others with SIGTERM; each end is reported
 *   (`[WARN] Node with rank 0 exited with code 3`, a signal as its negative number) and the launcher
 *   itself exits 0. SIGTERM and SIGHUP end the launcher alone, leaving its ranks running (their
 *   process group must be signalled); SIGINT raises KeyboardInterrupt and it waits for its ranks.
 * - mpi and nccl are not faked (mallex runs ring or jaccl): it says so and exits 1.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { constants, tmpdir } from "node:os";
import { join } from "node:path";

const USAGE = `usage: mlx.launch [-h] [--print-python] [--verbose] [--hosts HOSTS]
                  [--repeat-hosts REPEAT_HOSTS] [--hostfile HOSTFILE]
                  [--backend BACKEND] [--env ENV] [--mpi-arg MPI_ARG]
                  [--connections-per-ip CONNECTIONS_PER_IP]
                  [--starting-port STARTING_PORT] [--cwd CWD]
                  [--nccl-port NCCL_PORT] [--python PYTHON]`;

/** @typedef {{ strings: string[], dest: string, kind: "flag" | "value" | "append" | "help", type?: "int" | "positive_number" }} Option */
/** @type {Option[]} In the parser's order: argparse lists ambiguous matches in it. */
const OPTIONS = [
  { strings: ["-h", "--help"], dest: "help", kind: "help" },
  { strings: ["--print-python"], dest: "print-python", kind: "flag" },
  { strings: ["--verbose"], dest: "verbose", kind: "flag" },
  { strings: ["--hosts"], dest: "hosts", kind: "value" },
  { strings: ["--repeat-hosts", "-n"], dest: "repeat-hosts", kind: "value", type: "positive_number" },
  { strings: ["--hostfile"], dest: "hostfile", kind: "value" },
  { strings: ["--backend"], dest: "backend", kind: "value" },
  { strings: ["--env"], dest: "env", kind: "append" },
  { strings: ["--mpi-arg"], dest: "mpi-arg", kind: "append" },
  { strings: ["--connections-per-ip"], dest: "connections-per-ip", kind: "value", type: "int" },
  { strings: ["--starting-port", "-p"], dest: "starting-port", kind: "value", type: "int" },
  { strings: ["--cwd"], dest: "cwd", kind: "value" },
  { strings: ["--nccl-port"], dest: "nccl-port", kind: "value", type: "int" },
  { strings: ["--python"], dest: "python", kind: "value" },
];

/** argparse's parser.error: usage, the message, exit 2. @param {string} message @returns {never} */
function fail(message) {
  process.stderr.write(`${USAGE}\nmlx.launch: error: ${message}\n`);
  process.exit(2);
}

const warn = (/** @type {string} */ message) => process.stderr.write(`\u001b[33m[WARN] ${message} \u001b[0m\n`);
const info = (/** @type {string} */ message) => process.stderr.write(`\u001b[32m[INFO] ${message} \u001b[0m\n`);
/** An argument that argparse reads as an option (not `-`, not a negative number). @param {string} word */
const looksLikeOption = (word) => word.startsWith("-") && word !== "-" && !/^-\d+$|^-\d*\.\d+$/.test(word);

/** The option a word names, argparse-style; undefined: the word is the command's. @param {string} name @returns {Option | undefined} */
function optionNamed(name) {
  const exact = OPTIONS.find((o) => o.strings.includes(name));
  if (exact || !name.startsWith("--")) return exact;
  const prefixed = OPTIONS.flatMap((o) => o.strings.filter((s) => s.startsWith("--") && s.startsWith(name)).map((s) => ({ o, s })));
  if (prefixed.length > 1) fail(`ambiguous option: ${name} could match ${prefixed.map((p) => p.s).join(", ")}`);
  return prefixed[0]?.o;
}

/** @param {Option} option @param {string} value */
function converted(option, value) {
  const int = /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (option.type === "int" && Number.isNaN(int)) fail(`argument ${option.strings.join("/")}: invalid int value: '${value}'`);
  if (option.type === "positive_number" && !(int > 0)) fail(`argument ${option.strings.join("/")}: invalid positive_number value: '${value}'`);
  return option.type ? int : value;
}

/** parse_known_args: the options, and the rest (the command, a leading `--` dropped). @param {string[]} argv */
function parseOptions(argv) {
  /** @type {Record<string, any>} */
  const options = { hosts: "127.0.0.1", "repeat-hosts": 1, env: [], "mpi-arg": [], "connections-per-ip": 1, "starting-port": 32323, "nccl-port": 12345 };
  /** @type {string[]} */
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i] ?? "";
    if (word === "--") {
      rest.push(...(rest.length === 0 ? [] : ["--"]), ...argv.slice(i + 1));
      break;
    }
    if (!looksLikeOption(word)) {
      rest.push(word);
      continue;
    }
    const equals = word.startsWith("--") ? word.indexOf("=") : -1;
    const name = equals > 0 ? word.slice(0, equals) : /^-[a-z]./.test(word) ? word.slice(0, 2) : word;
    const option = optionNamed(name);
    if (!option) {
      rest.push(word);
      continue;
    }
    if (option.kind === "help") {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (option.kind === "flag") {
      options[option.dest] = true;
      continue;
    }
    let value = equals > 0 ? word.slice(equals + 1) : name !== word ? word.slice(2) : argv[i + 1];
    if (value === undefined || (name === word && looksLikeOption(value))) fail(`argument ${option.strings.join("/")}: expected one argument`);
    if (name === word) i++;
    value = converted(option, value);
    if (option.kind === "append") options[option.dest].push(value);
    else options[option.dest] = value;
  }
  return { options, command: rest };
}

/** Python's name for a JSON value's type, for the TypeErrors Hostfile.from_file reports. @param {unknown} value */
const pyType = (value) =>
  value === null
    ? "NoneType"
    : Array.isArray(value)
      ? "list"
      : typeof value === "string"
        ? "str"
        : typeof value === "object"
          ? "dict"
          : Number.isInteger(value)
            ? "int"
            : typeof value === "boolean"
              ? "bool"
              : "float";

/** Hostfile.from_file, its errors as str(e) of Python's. @param {string} path */
function readHostfile(path) {
  if (!existsSync(path)) fail(`Hostfile ${path} doesn't exist`);
  const failed = (/** @type {string} */ why) => fail(`Failed to parse hostfile ${path} (${why})`);
  /** @type {any} */
  let data;
  try {
    data = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    return failed(/** @type {Error} */ (error).message); // Python's json words it differently
  }
  const isDict = pyType(data) === "dict";
  if (isDict && !("hosts" in data)) failed("'hosts'");
  const list = isDict ? data.hosts : Array.isArray(data) ? data : [];
  if (!Array.isArray(list)) failed(`'${pyType(list)}' object is not iterable`);
  const hosts = list.map((/** @type {any} */ h, /** @type {number} */ rank) => {
    const type = pyType(h);
    if (type === "str") failed("string indices must be integers, not 'str'");
    if (type === "list") failed("list indices must be integers or slices, not str");
    if (type !== "dict") failed(`'${type}' object is not subscriptable`);
    if (!("ssh" in h)) failed("'ssh'");
    return { rank, ssh: String(h.ssh), ips: /** @type {string[]} */ (h.ips ?? []), rdma: /** @type {unknown[]} */ (h.rdma ?? []) };
  });
  return { hosts, backend: isDict ? String(data.backend ?? "") : "", envs: /** @type {string[]} */ (isDict ? (data.envs ?? []) : []) };
}

/** Hostfile.from_list (--hosts). @param {string} list @param {number} repeats */
function hostsFromList(list, repeats) {
  const hosts = [];
  for (const ssh of list.split(",")) {
    if (ssh === "") fail("Hostname cannot be empty");
    const isIp = /^\d{1,3}(\.\d{1,3}){3}$/.test(ssh) || (ssh.includes(":") && /^[\da-f:]+$/i.test(ssh));
    for (let r = 0; r < repeats; r++) hosts.push({ rank: hosts.length, ssh, ips: isIp ? [ssh] : [], rdma: /** @type {unknown[]} */ ([]) });
  }
  return { hosts, backend: "", envs: /** @type {string[]} */ ([]) };
}

/** json.dumps: ", " between items, ": " after keys. @param {unknown} value @returns {string} */
const pyJson = (value) =>
  Array.isArray(value)
    ? `[${value.map(pyJson).join(", ")}]`
    : value !== null && typeof value === "object"
      ? `{${Object.entries(value)
          .map(([k, v]) => `${JSON.stringify(k)}: ${pyJson(v)}`)
          .join(", ")}}`
      : JSON.stringify(value);

/** shlex.join. @param {string[]} words */
const shlexJoin = (words) => words.map((w) => (w === "" ? "''" : /^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replaceAll("'", `'"'"'`)}'`)).join(" ");

const { options, command } = parseOptions(process.argv.slice(2));
if (options["print-python"]) {
  process.stdout.write(`${options.python ?? process.execPath}\n`);
  process.exit(0);
}
if (command.length === 0) fail("No script is provided");
const hostfile = typeof options.hostfile === "string" ? readHostfile(options.hostfile) : hostsFromList(options.hosts, options["repeat-hosts"]);
const backend = options.backend ?? (hostfile.backend || "ring");
const env = [...hostfile.envs, ...options.env];
const hosts = hostfile.hosts;
/** Variables each rank gets as files (launch.py's `files`): the file's path is the variable's value. @type {Record<string, string>} */
const files = {};

if (backend === "ring") {
  if (hosts.some((h) => h.ips.length === 0)) fail("The ring backend requires IPs to be provided instead of hostnames");
  let port = options["starting-port"];
  const ring = hosts.map((h) => h.ips.flatMap((ip) => Array.from({ length: options["connections-per-ip"] }, () => `${ip}:${port++}`)));
  files.MLX_HOSTFILE = ring.length > 1 ? pyJson(ring) : "";
  if (options.verbose) env.push("MLX_RING_VERBOSE=1");
} else if (backend === "jaccl" || backend === "jaccl-ring") {
  if (hosts[0]?.ips.length === 0) fail("Rank 0 should have an IP reachable from all other ranks");
  const n = hosts.length;
  if (!hosts.every((h) => h.rdma.length === n)) fail("The hostfile is malformed: number of RDMA devices does not match hosts");
  if (!hosts.every((h, i) => h.rdma[i] === null)) fail("The hostfile is malformed: RDMA device of self should be null");
  const ringOnly = backend === "jaccl-ring";
  const missing = hosts.flatMap((h, i) =>
    (ringOnly ? [(i - 1 + n) % n, (i + 1) % n] : [...hosts.keys()]).filter((j) => j !== i && h.rdma[j] === null).map((j) => `${h.ssh} to ${hosts[j]?.ssh}`),
  );
  if (missing.length > 0)
    fail(
      `The hostfile is malformed: no RDMA device is listed for ${missing.slice(0, 3).join(", ")}${missing.length > 3 ? ` and ${missing.length - 3} more` : ""}`,
    );
  env.push(`MLX_JACCL_COORDINATOR=${hosts[0]?.ips[0]}:${options["starting-port"]}`);
  if (ringOnly) env.push("MLX_JACCL_RING=1");
  files.MLX_IBV_DEVICES = pyJson(hosts.map((h) => h.rdma));
} else if (backend === "mpi" || backend === "nccl") {
  process.stderr.write(`fake-mlx-launch: the ${backend} backend is not faked (only ring, jaccl and jaccl-ring)\n`);
  process.exit(1);
} else {
  fail("The backend should be one of {'ring', 'mpi', 'nccl', 'jaccl', 'jaccl-ring'}");
}

if (options.verbose) info(`Running ${shlexJoin(command)}`);
/** @type {Record<string, string>} */
const rankEnv = {};
for (const entry of env) {
  const [key = "", ...value] = String(entry).split("=");
  if (!/^\w+$/.test(key)) warn(`'${entry}' is an invalid environment variable so it is ignored`);
  else rankEnv[key] = value.join("=");
}
const scratch = mkdtempSync(join(tmpdir(), "fake-mlx-launch-"));
// The real one leaves its mktemp files behind; this fake removes its folder, also when a signal ends
// it, and then dies by that signal as the real one does, its ranks left running.
process.on("exit", () => rmSync(scratch, { recursive: true, force: true }));
for (const signal of /** @type {const} */ (["SIGTERM", "SIGHUP"])) {
  process.once(signal, () => {
    rmSync(scratch, { recursive: true, force: true });
    process.kill(process.pid, signal);
  });
}
for (const [name, content] of Object.entries(files)) {
  const file = join(scratch, name);
  writeFileSync(file, `${content}\n`); // `echo CONTENT > $fname`
  rankEnv[name] = file;
}
const cwd = options.cwd ?? process.cwd();
const cwdExists = existsSync(cwd) && statSync(cwd).isDirectory();
const [program = "", ...args] = typeof options.python === "string" ? [options.python, ...command] : command;

/** @type {Map<number, import("node:child_process").ChildProcess>} */
const running = new Map();
let stopping = false;
let interrupted = false;
for (const host of hosts.filter((h) => h.ssh === "127.0.0.1")) {
  if (options.cwd !== undefined && !cwdExists) process.stderr.write(`Failed to change directory to ${cwd}\n`);
  // Its output through pipes, relayed: a rank outliving the launcher does not hold the launcher's own.
  const rank = spawn(program, args, {
    stdio: ["ignore", "pipe", "pipe"],
    cwd: cwdExists ? cwd : process.cwd(),
    env: { ...process.env, ...rankEnv, MLX_RANK: String(host.rank) },
  });
  rank.stdout?.pipe(process.stdout, { end: false });
  rank.stderr?.pipe(process.stderr, { end: false });
  running.set(host.rank, rank);
  /** @param {number} code */
  const ended = (code) => {
    running.delete(host.rank);
    if (code !== 0) warn(`Node with rank ${host.rank} exited with code ${code}`);
    else if (options.verbose) info(`Node with rank ${host.rank} completed`);
    // One rank failing stops the others, and the launcher ends once all have.
    if (code !== 0 && !stopping) {
      stopping = true;
      for (const other of running.values()) other.kill("SIGTERM");
    }
    if (running.size > 0) return;
    if (interrupted) {
      process.removeAllListeners("SIGINT");
      process.kill(process.pid, "SIGINT");
    } else process.exit(0);
  };
  rank.on("error", () => {
    process.stderr.write(`/bin/bash: line 1: exec: ${program}: not found\n`);
    ended(127);
  });
  // "close": after its output is relayed.
  rank.on("close", (code, signal) => ended(signal === null ? (code ?? 0) : -constants.signals[signal]));
}
if (running.size === 0) process.exit(0);
// Python's KeyboardInterrupt ends the main thread; the threads that follow the ranks keep it alive.
process.on("SIGINT", () => {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write('Traceback (most recent call last):\n  File "mlx.launch", line 8, in <module>\nKeyboardInterrupt\n');
});
