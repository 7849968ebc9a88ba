/**
 * The supervisor seen from other processes: `mallex server status|stop|logs` from a second
 * terminal (the built CLI: `npx tsc -p tsconfig.build.json` first, as `npm test` does), a pidfile
 * whose pid now belongs to another program, no orphan server when the mallex that owns it
 * gets SIGTERM or SIGINT, nor when it is killed (SIGKILL) or crashes (its death watch), and a
 * server kept after its mallex ended normally (on_exit: keep).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createProcessCleanup } from "./helpers/process-cleanup.js";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSupervisor } from "../src/supervisor/create-supervisor.js";
import { pidfilesOf, writePidfile } from "../src/supervisor/processes/pidfile.js";
import { systemProcessInspector } from "../src/supervisor/processes/process-identity.js";
import type { SupervisorEvent } from "../src/supervisor/types.js";
import { PassThrough } from "node:stream";
import { askYesNo } from "../src/cli/commands/run.js";
import { runCli } from "./helpers/run-cli.js";
import { eventually, liveGroupMembers, portAnswers, processesMatching as treeProcessesMatching } from "./helpers/process-tree.js";

const FAKE = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const OWNER = fileURLToPath(new URL("./helpers/supervisor-owner.js", import.meta.url));
const COMMAND = `'${process.execPath}' '${FAKE}' --model {model} --host {host} --port {port}`;
const MODEL = "mlx-community/Test-4bit";

beforeAll(() => {
  for (const built of ["../dist/src/cli/commands/server.js", "../dist/src/supervisor/processes/stop-all-on-exit.js"]) {
    if (!existsSync(fileURLToPath(new URL(built, import.meta.url))))
      throw new Error(`${built} is missing: run \`npx tsc -p tsconfig.build.json\` first (npm test does)`);
  }
});

const processes = createProcessCleanup("mallex-server-cli-");
const { supervisors, pids } = processes;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await processes.cleanup();
});

const tempHome = (): string => processes.home();

const alive = (pid: number | undefined) => pid !== undefined && systemProcessInspector.isAlive(pid);

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
  }
}

/** A node process that is not a model server: what a recycled pid would point at. */
function foreignProcess(): ChildProcess {
  const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
  children.push(child);
  return child;
}

describe("mallex server (a second process)", () => {
  it("status lists the supervised server, stop stops it (and its supervisor does not restart it), logs prints the tail", async () => {
    const home = tempHome();
    const events: SupervisorEvent[] = [];
    const supervisor = createSupervisor(
      {
        key: "mlx--test",
        command: COMMAND,
        model: MODEL,
        install: [],
        readiness: { probe: "generate", timeoutMs: 10_000 },
        idleUnloadMs: 0,
        wedgeTimeoutMs: 0,
        maxRestarts: 2,
        restartWindowMs: 60_000,
      },
      { mallexHome: home, onEvent: (event) => events.push(event), restartDelayMs: { base: 50, max: 100 } },
    );
    supervisors.push(supervisor);
    const baseUrl = await supervisor.ensureReady();
    const pid = supervisor.pid!;
    pids.add(pid);
    const port = new URL(baseUrl).port;
    const env = { MALLEX_HOME: home };

    const status = await runCli(["server", "status"], { env });
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(new RegExp(`^mlx--test  pid ${pid}  port ${port}  ${MODEL}  up \\d+s  alive  \\(mallex pid ${process.pid}\\)$`));

    const logs = await runCli(["server", "logs", "-n", "3"], { env });
    expect(logs.exitCode).toBe(0);
    expect(logs.stdout.split("\n")).toHaveLength(3);
    // The server's own lines for the readiness probe's generation can reach the log after mallex's
    // "ready" line (they come through its output pipe): the tail holds it within a few lines.
    const tail = await runCli(["server", "logs", "-n", "10"], { env });
    expect(tail.stdout).toContain(`mlx--test ready at ${baseUrl} (pid ${pid})`);

    const stop = await runCli(["server", "stop"], { env });
    expect(stop.exitCode).toBe(0);
    expect(stop.stdout).toBe(`stopped mlx--test (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(pidfilesOf(home, "mlx--test")).toEqual([]);
    await until(() => supervisor.state === "stopped");
    expect(events.at(-1)).toEqual({ type: "unloaded", reason: "stopped by `mallex server stop`" });
    await new Promise((r) => setTimeout(r, 200));
    expect(events.map((e) => e.type)).not.toContain("restarting");

    const after = await runCli(["server", "status"], { env });
    expect(after.stdout).toBe(`No supervised model server is running (MALLEX_HOME=${home}).`);
    // The next request starts it again.
    await supervisor.ensureReady();
    expect(supervisor.pid).not.toBe(pid);
    pids.add(supervisor.pid!);
  });

  it("never signals a pid from a pidfile that now belongs to another program; a dead pid is just cleaned up", async () => {
    const home = tempHome();
    const foreign = foreignProcess();
    await until(() => alive(foreign.pid));
    const record = (key: string, pid: number) => ({
      key,
      pid,
      port: 45678,
      baseUrl: "http://127.0.0.1:45678/v1",
      command: "node fake --port 45678",
      argv: [process.execPath, FAKE, "--model", MODEL, "--port", "45678"],
      model: MODEL,
      startedAt: new Date().toISOString(),
      mallexPid: 999_999,
      processGroup: true,
    });
    const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => dead.once("exit", resolve));
    const writeBoth = () => {
      writePidfile(home, record("mlx--recycled", foreign.pid!));
      writePidfile(home, record("mlx--dead", dead.pid!));
    };
    const env = { MALLEX_HOME: home };

    writeBoth();
    const stop = await runCli(["server", "stop"], { env });
    expect(stop.stdout.split("\n")).toEqual([
      `mlx--dead: pid ${dead.pid} was not running; removed its pidfile`,
      `mlx--recycled: pid ${foreign.pid} now belongs to another program; not signalled, removed the pidfile`,
    ]);
    expect(alive(foreign.pid)).toBe(true);
    expect(foreign.exitCode).toBeNull();
    expect(pidfilesOf(home, "mlx--recycled")).toEqual([]);
    expect(pidfilesOf(home, "mlx--dead")).toEqual([]);

    // status shows such records once, their owner checked too (pid 999999 runs nothing), and removes them.
    writeBoth();
    const status = await runCli(["server", "status"], { env });
    expect(status.stdout.split("\n")).toEqual([
      `mlx--dead  pid ${dead.pid}  port 45678  ${MODEL}  stale (not running)  (its mallex pid 999999 is gone); pidfile removed`,
      `mlx--recycled  pid ${foreign.pid}  port 45678  ${MODEL}  stale (the pid now belongs to another program)  (its mallex pid 999999 is gone); pidfile removed`,
    ]);
    expect(alive(foreign.pid)).toBe(true);
    expect(pidfilesOf(home, "mlx--recycled")).toEqual([]);
    expect(pidfilesOf(home, "mlx--dead")).toEqual([]);
    expect((await runCli(["server", "status"], { env })).stdout).toBe(`No supervised model server is running (MALLEX_HOME=${home}).`);
  });

  it("reports a live server whose mallex is gone (its pid dead, or recycled: another start time) as orphaned, not as that mallex's", async () => {
    const home = tempHome();
    const server = foreignProcess(); // stands in for the model server: its command line is recorded as is
    const owner = foreignProcess(); // a live process under the recorded mallex pid, started at another time
    await until(() => alive(server.pid) && alive(owner.pid));
    const argv = [process.execPath, "-e", "setInterval(() => {}, 1000)"];
    const base = {
      pid: server.pid!,
      port: 45679,
      baseUrl: "http://127.0.0.1:45679/v1",
      command: argv.join(" "),
      argv,
      model: MODEL,
      startedAt: new Date().toISOString(),
      processGroup: false,
    };
    writePidfile(home, { ...base, key: "mlx--dead-owner", mallexPid: 999_999 });
    writePidfile(home, { ...base, key: "mlx--recycled-owner", mallexPid: owner.pid!, mallexStartTime: "1" });
    writePidfile(home, { ...base, key: "mlx--live-owner", mallexPid: owner.pid!, mallexStartTime: systemProcessInspector.startTime!(owner.pid!)! });
    const status = await runCli(["server", "status"], { env: { MALLEX_HOME: home } });
    const lines = status.stdout.split("\n");
    expect(lines[0]).toMatch(
      new RegExp(
        `^mlx--dead-owner  pid ${server.pid}  port 45679  ${MODEL}  up \\d+s  alive, orphaned  \\(its mallex pid 999999 is gone: \`mallex server stop\` stops it\\)$`,
      ),
    );
    expect(lines[1]).toMatch(new RegExp(`^mlx--live-owner  pid ${server.pid} .* up \\d+s  alive  \\(mallex pid ${owner.pid}\\)$`));
    expect(lines[2]).toMatch(new RegExp(`^mlx--recycled-owner  pid ${server.pid} .* alive, orphaned  \\(its mallex pid ${owner.pid} is gone: `));
    // A live server keeps its record: `mallex server stop` needs it.
    expect(pidfilesOf(home, "mlx--dead-owner")).toHaveLength(1);
  });

  it("rejects an unknown action with a usage error", async () => {
    const result = await runCli(["server", "restart"], { env: { MALLEX_HOME: tempHome() } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Unknown action "restart"');
  });
});

/** The owner helper (a mallex stand-in) in its own process, with its output collected. */
function startOwner(home: string, ...args: string[]) {
  const owner = spawn(process.execPath, [OWNER, COMMAND, ...args], { env: { ...process.env, MALLEX_HOME: home }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(owner);
  const output = { stdout: "", stderr: "" };
  owner.stdout!.on("data", (chunk: Buffer) => (output.stdout += chunk.toString()));
  owner.stderr!.on("data", (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    owner.once("exit", (code, sig) => resolve({ code, signal: sig })),
  );
  return { owner, output, exited };
}

/** Processes whose command line contains `text` (the keep sink names server.log under MALLEX_HOME). */
function processesMatching(text: string): string[] {
  try {
    return execFileSync("pgrep", ["-f", text], { encoding: "utf8" }).split("\n").filter(Boolean);
  } catch {
    return [];
  }
}

describe("no orphan server when mallex is stopped by a signal", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to the supervising process stops the server it started`, async () => {
      const home = tempHome();
      const { owner, output, exited } = startOwner(home);
      await until(() => /READY \d+/.test(output.stdout) || owner.exitCode !== null, 15_000).catch(() => {});
      const { stderr } = output;
      const serverPid = Number(/READY (\d+)/.exec(output.stdout)?.[1]);
      expect(serverPid, stderr).toBeGreaterThan(0);
      pids.add(serverPid);
      expect(alive(serverPid)).toBe(true);
      expect(pidfilesOf(home, "owner--fake")[0]?.record.mallexPid).toBe(owner.pid);

      owner.kill(signal);
      // The signal is raised again once the server is stopped: the owner dies of it, as it would have.
      expect(await exited).toEqual({ code: null, signal });
      expect(alive(serverPid)).toBe(false);
      expect(pidfilesOf(home, "owner--fake")).toEqual([]);
      expect(output.stderr).toContain('"type":"stopped"');
    });
  }
});

describe("no orphan server when mallex dies without stopping it", () => {
  /** An owner with a ready server: the server's pid and port. */
  async function ownedServer(home: string, ...args: string[]) {
    const started = startOwner(home, ...args);
    await until(() => /READY \d+/.test(started.output.stdout) || started.owner.exitCode !== null, 15_000).catch(() => {});
    const pid = Number(/READY (\d+)/.exec(started.output.stdout)?.[1]);
    expect(pid, started.output.stderr).toBeGreaterThan(0);
    pids.add(pid);
    const record = pidfilesOf(home, "owner--fake")[0]?.record;
    expect(record).toMatchObject({ pid, mallexPid: started.owner.pid, mallexStartTime: systemProcessInspector.startTime!(started.owner.pid!) });
    return { ...started, pid, port: record!.port };
  }

  /** The server, its whole process group and its port are gone; its death watch too. */
  async function expectGone(pid: number, port: number) {
    await eventually(`the server (pid ${pid}) and its process group are gone`, () => liveGroupMembers(pid).length === 0);
    await eventually(`nothing answers on port ${port}`, async () => !(await portAnswers(port)));
    await eventually(`the death watch of ${pid} has exited`, () => treeProcessesMatching(`mallex-death-watch ${pid}`).length === 0);
  }

  it("SIGKILL of mallex: its death watch stops the server (its process group, its port); `mallex server status` then says stale and removes the record", async () => {
    const home = tempHome();
    const { owner, pid, port, exited } = await ownedServer(home);
    await eventually("the owner watches the server", () => treeProcessesMatching(`mallex-death-watch ${pid}`).length === 1);
    owner.kill("SIGKILL");
    expect(await exited).toEqual({ code: null, signal: "SIGKILL" });
    await expectGone(pid, port);
    const status = await runCli(["server", "status"], { env: { MALLEX_HOME: home } });
    expect(status.stdout).toMatch(
      new RegExp(`^owner--fake  pid ${pid}  port ${port}  ${MODEL}  stale \\(not running\\)  \\(its mallex pid ${owner.pid} is gone\\); pidfile removed$`),
    );
    expect(pidfilesOf(home, "owner--fake")).toEqual([]);
  });

  it("a crash of mallex (an uncaught exception) stops the server", async () => {
    const home = tempHome();
    const { pid, port, exited, output } = await ownedServer(home, "crash");
    expect((await exited).code, output.stderr).toBe(1);
    expect(output.stderr).toContain("the owner crashed");
    await expectGone(pid, port);
  });

  it("SIGKILL of the mallex that adopted a kept server stops it too; a kept server outlives the mallex that kept it", async () => {
    const home = tempHome();
    const kept = startOwner(home, "keep");
    expect(await kept.exited, kept.output.stderr).toEqual({ code: 0, signal: null });
    const pid = Number(/KEPT (\d+)/.exec(kept.output.stdout)?.[1]);
    pids.add(pid);
    // Its death watch was disarmed when it was kept: well after the owner is gone, it still runs.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(alive(pid)).toBe(true);
    expect(treeProcessesMatching(`mallex-death-watch ${pid}`)).toEqual([]);

    const adopter = await ownedServer(home);
    expect(adopter.output.stdout).toBe(`REUSED\nREADY ${pid}\n`);
    await eventually("the adopter watches the server", () => treeProcessesMatching(`mallex-death-watch ${pid}`).length === 1);
    adopter.owner.kill("SIGKILL");
    await adopter.exited;
    await expectGone(pid, adopter.port);
  });
});

describe("a server kept after its mallex ended normally (on_exit: keep)", () => {
  /** An owner that keeps its server and ends on its own (its exit handlers installed): the server's pid. */
  async function keptByOwner(home: string): Promise<number> {
    const { output, exited } = startOwner(home, "keep");
    expect(await exited, output.stderr).toEqual({ code: 0, signal: null });
    const pid = Number(/KEPT (\d+)/.exec(output.stdout)?.[1]);
    expect(pid, output.stdout + output.stderr).toBeGreaterThan(0);
    pids.add(pid);
    expect(output.stdout).toContain(`READY ${pid}`);
    return pid;
  }

  it("outlives its mallex with a kept pidfile, shows as kept in `mallex server status`, is adopted by the next one, and a signal to that one stops it", async () => {
    const home = tempHome();
    const pid = await keptByOwner(home);
    expect(alive(pid)).toBe(true);
    expect(pidfilesOf(home, "owner--fake")[0]?.record).toMatchObject({ pid, kept: true, mallexPid: 0 });
    const status = await runCli(["server", "status"], { env: { MALLEX_HOME: home } });
    expect(status.stdout).toMatch(
      new RegExp(
        `^owner--fake  pid ${pid}  port \\d+  ${MODEL}  up \\d+s  alive  \\(kept: the next \`mallex run\` reuses it, \`mallex server stop\` stops it\\)$`,
      ),
    );

    const next = startOwner(home);
    await until(() => /READY \d+/.test(next.output.stdout) || next.owner.exitCode !== null, 15_000).catch(() => {});
    expect(next.output.stdout, next.output.stderr).toBe(`REUSED\nREADY ${pid}\n`);
    expect(next.output.stderr).not.toContain('"type":"starting"');
    expect(pidfilesOf(home, "owner--fake")[0]?.record).toMatchObject({ pid, mallexPid: next.owner.pid });

    next.owner.kill("SIGTERM");
    expect(await next.exited).toEqual({ code: null, signal: "SIGTERM" });
    expect(alive(pid)).toBe(false);
    expect(pidfilesOf(home, "owner--fake")).toEqual([]);
    await until(() => processesMatching(home).length === 0);
  });

  it("`mallex server stop` stops a kept server, and nothing of it is left", async () => {
    const home = tempHome();
    const pid = await keptByOwner(home);
    expect(processesMatching(home)).toHaveLength(1); // the sink writing its output to server.log
    const stop = await runCli(["server", "stop"], { env: { MALLEX_HOME: home } });
    expect(stop.stdout).toBe(`stopped owner--fake (pid ${pid})`);
    expect(alive(pid)).toBe(false);
    expect(pidfilesOf(home, "owner--fake")).toEqual([]);
    await until(() => processesMatching(home).length === 0);
  });
});

describe("on_exit: ask", () => {
  const answer = async (typed: string | undefined, signal?: AbortSignal) => {
    const input = new PassThrough();
    const output = new PassThrough();
    let shown = "";
    output.on("data", (chunk: Buffer) => (shown += chunk.toString()));
    const asked = askYesNo("Keep the model server running for the next session? [y/N] ", { input, output, ...(signal ? { signal } : {}) });
    if (typed === undefined) input.end();
    else input.write(typed);
    return { yes: await asked, shown };
  };

  it("keeps on y or yes; anything else, end of input or an abort is no", async () => {
    expect(await answer("y\n")).toEqual({ yes: true, shown: "Keep the model server running for the next session? [y/N] " });
    expect((await answer(" YES \n")).yes).toBe(true);
    expect((await answer("\n")).yes).toBe(false);
    expect((await answer("nope\n")).yes).toBe(false);
    expect((await answer(undefined)).yes).toBe(false);
    const abort = new AbortController();
    const pending = answer("", abort.signal);
    abort.abort();
    expect((await pending).yes).toBe(false);
  });
});
