// Process plumbing for bench/peers.js: installing a peer proxy from npm into a git-ignored folder,
// starting proxies as real processes (each in its own process group, so whatever they start dies
// with them), waiting until they answer HTTP, reading their resident memory, and stopping them.
import { execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { promisify } from "node:util";

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 3_000;

/**
 * Installs `name@version` under `prefix` with npm (skipped when that version is already there) and
 * returns the installed package's folder.
 * @type {typeof import("./peer-process.js").installPeer}
 */
export async function installPeer({ name, version, prefix }) {
  const dir = join(prefix, "node_modules", ...name.split("/"));
  if (installedVersion(dir) === version) return dir;
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  try {
    await promisify(execFile)(npm, ["install", "--prefix", prefix, "--no-audit", "--no-fund", "--ignore-scripts", `${name}@${version}`], {
      maxBuffer: 16 * 2 ** 20,
    });
  } catch (error) {
    const failed = /** @type {Error & { stderr?: string }} */ (error);
    throw new Error(
      `cannot install ${name}@${version} into ${prefix} (npm install failed; is the npm registry reachable?):\n${failed.stderr || failed.message}`,
    );
  }
  if (installedVersion(dir) !== version)
    throw new Error(`npm installed ${name} into ${prefix}, but ${dir} holds version ${installedVersion(dir) ?? "none"}, not ${version}`);
  return dir;
}

function installedVersion(dir) {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).version;
  } catch {
    return undefined;
  }
}

/**
 * Children started through it are killed when the bench ends, however it ends: `stopAll` on the way
 * out, SIGKILL to every process group on exit, and Ctrl-C / SIGTERM stop them before exiting.
 * @type {typeof import("./peer-process.js").createChildren}
 */
export function createChildren() {
  const live = new Set();
  const killGroup = (child, signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  const onExit = () => {
    for (const child of live) killGroup(child, "SIGKILL");
  };
  const onSignal = (signal) => {
    onExit();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", onExit);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  /** Stops one child's group: SIGTERM, then SIGKILL if it has not exited within the grace period. */
  const stop = async (child) => {
    if (!live.has(child)) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
    killGroup(child, "SIGKILL"); // anything it started and left behind
  };

  return {
    /**
     * Spawns `command args` and resolves once `readyUrl` answers any HTTP response, with
     * `{ pid, stop, output, describe }` (describe: whether it still runs or how it exited, and its
     * last output lines, for a request to it that failed); rejects with the process's output if it
     * exits or stays silent longer than `startTimeoutMs` (30 s unless given).
     */
    async start(label, command, args, { env, cwd, readyUrl, startTimeoutMs = START_TIMEOUT_MS }) {
      const child = spawn(command, args, { env, cwd, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      live.add(child);
      let output = "";
      const keep = (chunk) => (output = (output + chunk).slice(-8_000));
      child.stdout.on("data", keep);
      child.stderr.on("data", keep);
      const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
      child.once("exit", () => live.delete(child));
      const spawnError = new Promise((resolve) => child.once("error", resolve));
      const deadline = Date.now() + startTimeoutMs;
      for (;;) {
        const outcome = await Promise.race([
          answers(readyUrl).then((ok) => (ok ? "ready" : "not yet")),
          exited.then(({ code, signal }) => `exited (${signal ?? `code ${code}`})`),
          spawnError.then((error) => `could not be started: ${error.message}`),
        ]);
        if (outcome === "ready")
          return {
            pid: /** @type {number} */ (child.pid), // it answered, so it was spawned
            stop: () => stop(child),
            output: () => output,
            describe: (waitMs) => describeProcess(label, child.pid, exited, () => output, waitMs),
          };
        if (outcome !== "not yet" || Date.now() > deadline) {
          await stop(child);
          const why = outcome === "not yet" ? `did not answer ${readyUrl} within ${startTimeoutMs / 1000} s` : outcome;
          throw new Error(`${label} ${why}. Command: ${command} ${args.join(" ")}\nIts output:\n${output || "(none)"}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    stopAll: () => Promise.all([...live].map(stop)),
  };
}

/** Lines of output a failure shows of the process behind it. */
const FAILURE_OUTPUT_LINES = 20;

/**
 * A process a request failed on: still running, or how it ended (exit code or signal), and its last
 * lines of stdout and stderr. A process that died under the request may not have been reaped when
 * its client saw the connection close: its exit is waited for a moment (`waitMs`).
 */
async function describeProcess(label, pid, exited, output, waitMs = 1_000) {
  let timer;
  const exit = await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  const state = exit === undefined ? "is still running" : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const lines = output()
    .split("\n")
    .filter((line) => line.trim() !== "")
    .slice(-FAILURE_OUTPUT_LINES);
  return `${label} (pid ${pid}) ${state}; its last ${lines.length} lines of output:\n${lines.length > 0 ? lines.map((line) => `  ${line}`).join("\n") : "  (none)"}`;
}

/** Whether `url` answers a GET with a status below 500 (a 5xx: the server is up but not ready). */
function answers(url) {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      // A 5xx is a server still loading (llama-server's /health answers 503 "Loading model" until then).
      resolve((res.statusCode ?? 0) < 500);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * Resident set size of a process, in bytes: /proc/<pid>/status VmRSS on Linux, `ps` elsewhere.
 * @type {typeof import("./peer-process.js").readRss}
 */
export function readRss(pid) {
  const status = `/proc/${pid}/status`;
  if (existsSync(status)) {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(status, "utf8"))?.[1];
    if (kib) return Number(kib) * 1024;
  }
  return Number(execFileSync("ps", ["-o", "rss=", "-p", String(pid)], { encoding: "utf8" }).trim()) * 1024;
}
