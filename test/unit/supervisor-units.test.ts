import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bootstrapVenv, lookupPython, missingPythonSentence, resolveVenvDir } from "../../src/supervisor/bootstrap-venv.js";
import { classifyServerLine, createProgressFilter } from "../../src/supervisor/classify-server-output.js";
import { describeExit, lastMeaningfulLine } from "../../src/supervisor/supervisor-messages.js";
import { isSameProcess, systemProcessInspector, type ProcessInspector } from "../../src/supervisor/processes/process-identity.js";
import { createRestartPolicy } from "../../src/supervisor/restart-policy.js";
import { modelOfCommand } from "../../src/supervisor/command-model.js";
import { buildServerArgv, contextSizeOf, formatArgv, splitCommand, withContextSize } from "../../src/supervisor/server-command.js";
import { openServerLog, readLogTail } from "../../src/supervisor/server-log.js";
import { stopAllOnExit, type ExitHandlingProcess } from "../../src/supervisor/processes/stop-all-on-exit.js";
import { formatServerStatus, pruneStale } from "../../src/supervisor/processes/manage-servers.js";
import { armDeathWatch, DEATH_WATCH_SOURCE } from "../../src/supervisor/processes/arm-death-watch.js";
import { ownerIdentity, ownerLivenessOf, pidfilePath, pidfilesOf, writePidfile } from "../../src/supervisor/processes/pidfile.js";
import { stopProcess } from "../../src/supervisor/processes/stop-process.js";
import type { ServerSupervisor } from "../../src/supervisor/types.js";
import { childrenMatching, liveGroupMembers } from "../helpers/process-tree.js";
import { useTempsAndChildren } from "../helpers/temps-and-children.js";

const { tempDir, children } = useTempsAndChildren("mallex-units-");

describe("server command", () => {
  it("splits like a shell (quotes, backslashes) without running one, and fills placeholders per word", () => {
    expect(splitCommand(`a  'b c' "d \\"e\\"" f\\ g --json '{"enable_thinking": false}' ''`)).toEqual([
      "a",
      "b c",
      'd "e"',
      "f g",
      "--json",
      '{"enable_thinking": false}',
      "",
    ]);
    expect(() => splitCommand("a 'b")).toThrow("unterminated ' quote");
    const argv = buildServerArgv("{venv}/bin/mlx_lm.server --model {model} --host {host} --port {port} --chat-template-args '{\"a\": 1}'", {
      port: 5123,
      model: "org/My Model",
      host: "127.0.0.1",
      venv: "/home/u/.mallex/venv",
    });
    expect(argv).toEqual([
      "/home/u/.mallex/venv/bin/mlx_lm.server",
      "--model",
      "org/My Model",
      "--host",
      "127.0.0.1",
      "--port",
      "5123",
      "--chat-template-args",
      '{"a": 1}',
    ]);
    expect(formatArgv(argv)).toBe(
      "/home/u/.mallex/venv/bin/mlx_lm.server --model 'org/My Model' --host 127.0.0.1 --port 5123 --chat-template-args '{\"a\": 1}'",
    );
  });

  it("drops a flag whose placeholder has no value, and refuses a program that needs one", () => {
    expect(buildServerArgv("srv --draft-model {draft_model} --port {port}", { port: 1, model: "m", host: "h" })).toEqual(["srv", "--port", "1"]);
    expect(buildServerArgv("srv --draft-model {draft_model}", { port: 1, model: "m", host: "h", draftModel: "d" })).toEqual(["srv", "--draft-model", "d"]);
    expect(() => buildServerArgv("{venv}/bin/x", { port: 1, model: "m", host: "h" })).toThrow("uses {venv}");
  });

  it("finds and replaces the context size (-c N, --ctx-size N, --ctx-size=N)", () => {
    expect(contextSizeOf(["llama-server", "-m", "x", "-c", "32768"])).toBe(32768);
    expect(contextSizeOf(["x", "--ctx-size=8192"])).toBe(8192);
    expect(contextSizeOf(["x", "--port", "1"])).toBeUndefined();
    expect(withContextSize(["x", "--ctx-size", "32768", "-m", "c"], 16384)).toEqual(["x", "--ctx-size", "16384", "-m", "c"]);
    expect(withContextSize(["x", "--ctx-size=8192"], 4096)).toEqual(["x", "--ctx-size=4096"]);
  });

  it("names the model a --server-command runs: its --model / -m / -hf, else the command; none when it says {model}", () => {
    expect(modelOfCommand("mlx_lm.server --model mlx-community/Tiny-4bit --port {port}")).toBe("mlx-community/Tiny-4bit");
    expect(modelOfCommand("llama-server -m '/models/my model.gguf' --port {port}")).toBe("/models/my model.gguf");
    expect(modelOfCommand("llama-server -hf ggml-org/gemma-3-1b-it-GGUF --port {port}")).toBe("ggml-org/gemma-3-1b-it-GGUF");
    expect(modelOfCommand("srv --model=org/m --port {port}")).toBe("org/m");
    expect(modelOfCommand("/opt/venv/bin/python3 -m mlx_lm.server --model org/m --port {port}")).toBe("org/m");
    expect(modelOfCommand("python -m mlx_lm.server --port {port}")).toBe("python -m mlx_lm.server --port {port}");
    expect(modelOfCommand("llama-server -m {model} --port {port}")).toBeUndefined();
  });
});

describe("server output", () => {
  it("classifies tqdm bars, the listening line, loading and out-of-memory", () => {
    expect(classifyServerLine("Fetching 9 files:   0%|          | 0/9 [00:00<?, ?it/s]")).toEqual({
      kind: "download",
      label: "Fetching 9 files",
      percent: 0,
      detail: "0/9",
    });
    expect(classifyServerLine("model-00001-of-00004.safetensors:  40%|████      | 2.12G/5.30G [00:02<00:00, 1.06GB/s]")).toEqual({
      kind: "download",
      label: "model-00001-of-00004.safetensors",
      percent: 40,
      detail: "2.12G/5.30G",
    });
    expect(classifyServerLine("2025-11-21 12:51:00,123 - INFO - Starting httpd at 127.0.0.1 on port 8123...")).toEqual({ kind: "listening", port: 8123 });
    expect(classifyServerLine("main: server is listening on http://127.0.0.1:8080 - starting the main loop")).toEqual({ kind: "listening", port: 8080 });
    expect(classifyServerLine("main: HTTP server listening, hostname: 127.0.0.1, port: 8081")).toEqual({ kind: "listening", port: 8081 });
    expect(classifyServerLine("srv    load_model: loading model '/m.gguf'")).toMatchObject({ kind: "loading" });
    expect(
      classifyServerLine(
        "libc++abi: terminating due to uncaught exception of type std::runtime_error: [METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)",
      ),
    ).toMatchObject({ kind: "out-of-memory" });
    expect(classifyServerLine('127.0.0.1 - - [21/Nov/2025 12:51:00] "POST /v1/chat/completions HTTP/1.1" 200 -')).toBeUndefined();
  });

  it("reports a download every 5 points, on a new file and at 100%, not on every redraw", () => {
    const filter = createProgressFilter("m");
    const bar = (p: number) => classifyServerLine(`a.safetensors: ${p}%|█| ${p}M/100M [00:01<00:00]`)!;
    const said = [0, 1, 2, 5, 6, 11, 99, 100, 100].map((p) => filter(bar(p))?.percent);
    expect(said).toEqual([0, undefined, undefined, 5, undefined, 11, 99, 100, undefined]);
    expect(filter({ kind: "loading", message: "x" })).toEqual({ message: "loading m" });
    expect(filter({ kind: "loading", message: "x" })).toBeUndefined();
  });
});

describe("messages", () => {
  it("quotes the error line of a crash, not the traceback around it, and names the exit", () => {
    const output = [
      "Fatal Python error: Segmentation fault",
      "Current thread 0x0000000170e7b000 (most recent call first):",
      '  File "mlx_lm/generate.py", line 412 in _step',
    ];
    expect(lastMeaningfulLine(output)).toBe("Fatal Python error: Segmentation fault");
    expect(lastMeaningfulLine(["Starting httpd at 127.0.0.1 on port 1...", "bye"])).toBe("bye");
    expect(lastMeaningfulLine([])).toBeUndefined();
    // Two ranks of mlx_lm.server --pipeline under the real mlx.launch, on a folder with no weight index:
    // rank 1 aborts after its Python error, the launcher stops rank 0 and says so in colour.
    const ranks = [
      '    with open(model_path / "model.safetensors.index.json", "r") as fid:',
      "FileNotFoundError: [Errno 2] No such file or directory: '/m/model.safetensors.index.json'",
      "terminate called without an active exception",
      "\u001b[33m[WARN] Node with rank 1 exited with code -6 \u001b[0m",
      "\u001b[33m[WARN] Node with rank 0 exited with code -15 \u001b[0m",
    ];
    expect(lastMeaningfulLine(ranks)).toBe("FileNotFoundError: [Errno 2] No such file or directory: '/m/model.safetensors.index.json'");
    expect(lastMeaningfulLine(ranks.slice(2))).toBe("[WARN] Node with rank 0 exited with code -15");
    // The same, as CI once saw it: the launcher's `[WARN]` written, then a rank's chunk, then the rest of its line.
    const spliced = [
      ranks[1]!,
      "\u001b[33m[WARN]terminate called without an active exception",
      " Node with rank 1 exited with code -6 \u001b[0m",
      "\u001b[33m[WARN] Node with rank 0 exited with code -15 \u001b[0m",
    ];
    expect(lastMeaningfulLine(spliced)).toBe(ranks[1]);
    expect(lastMeaningfulLine(spliced.slice(1, 2))).toBeUndefined();
    expect([describeExit({ code: 139, signal: null }), describeExit({ code: null, signal: "SIGKILL" }), describeExit({ code: 3, signal: null })]).toEqual([
      "code 139 (segmentation fault)",
      "killed by SIGKILL",
      "code 3",
    ]);
  });
});

describe("restart policy", () => {
  it("allows maxRestarts within the window with doubling delays, then none until the window slides", () => {
    let now = 0;
    const policy = createRestartPolicy({ maxRestarts: 3, windowMs: 1000, baseDelayMs: 100, maxDelayMs: 250, now: () => now });
    expect([policy.next(), policy.next(), policy.next(), policy.next()]).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
      { attempt: 3, delayMs: 250 },
      undefined,
    ]);
    now = 1000;
    expect(policy.next()).toEqual({ attempt: 1, delayMs: 100 });
    policy.reset();
    expect(policy.next()).toEqual({ attempt: 1, delayMs: 100 });
  });
});

describe("server.log", () => {
  it("rotates at the size limit, keeps N files, and reads back the tail", () => {
    const file = join(tempDir(), "logs", "server.log");
    const log = openServerLog(file, { maxBytes: 100, keep: 2 });
    for (let i = 0; i < 30; i++) log.write(`line ${String(i).padStart(2, "0")} ........`);
    expect(statSync(file).size).toBeLessThanOrEqual(100);
    expect(existsSync(`${file}.1`) && existsSync(`${file}.2`) && !existsSync(`${file}.3`)).toBe(true);
    expect(readLogTail(file, 2)).toEqual(["line 28 ........", "line 29 ........"]);
    expect(readFileSync(`${file}.1`, "utf8")).toContain("line 2");
    expect(readLogTail(join(tempDir(), "none.log"), 5)).toEqual([]);
  });
});

describe("process identity and stopping", () => {
  it("matches a live process by its recorded argv, even run through an interpreter, and nothing else", async () => {
    const inspector = (cmdline: string[] | string | undefined, aliveNow = true): ProcessInspector => ({ isAlive: () => aliveNow, commandLine: () => cmdline });
    const argv = ["/v/bin/mlx_lm.server", "--model", "m", "--port", "5123"];
    expect(isSameProcess(1, argv, inspector(["/v/bin/python3.12", "/v/bin/mlx_lm.server", "--model", "m", "--port", "5123"]))).toBe(true);
    expect(isSameProcess(1, argv, inspector(["/v/bin/python3.12", "/v/bin/mlx_lm.server", "--model", "m", "--port", "5124"]))).toBe(false);
    expect(isSameProcess(1, argv, inspector(["/usr/bin/vim", "--model", "m", "--port", "5123"]))).toBe(false);
    expect(isSameProcess(1, argv, inspector("/v/bin/python3.12 /v/bin/mlx_lm.server --model m --port 5123"))).toBe(true);
    expect(isSameProcess(1, argv, inspector(argv, false))).toBe(false);
    // A child of its own, not this test's process: under a worker-thread pool process.argv is not the process's command line.
    const script = "setInterval(() => {}, 1000); console.log('up')";
    const live = spawn(process.execPath, ["-e", script, "serve", "5123"], { stdio: ["ignore", "pipe", "ignore"] });
    children.push(live);
    await new Promise((resolve) => live.stdout!.once("data", resolve));
    const supported = process.platform === "linux" || process.platform === "darwin";
    expect(isSameProcess(live.pid!, [process.execPath, "-e", script, "serve", "5123"], systemProcessInspector)).toBe(supported);
    expect(isSameProcess(live.pid!, [process.execPath, "-e", script, "serve", "5124"], systemProcessInspector)).toBe(false);
  });

  it("SIGTERM first, SIGKILL when the process ignores it", async () => {
    const stubborn = spawn(process.execPath, ["-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('up')"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    children.push(stubborn);
    await new Promise((resolve) => stubborn.stdout!.once("data", resolve));
    const t0 = Date.now();
    expect(await stopProcess(stubborn.pid!, { timeoutMs: 300 })).toBe("killed");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(systemProcessInspector.isAlive(stubborn.pid!)).toBe(false);
    expect(await stopProcess(stubborn.pid!, { timeoutMs: 300 })).toBe("not-running");
  });
});

describe("stopAllOnExit", () => {
  function fakeProcess() {
    const listeners = new Map<string, Set<(...args: any[]) => void>>();
    const raised: string[] = [];
    const proc: ExitHandlingProcess & { emit(event: string, ...args: unknown[]): void } = {
      pid: 4242,
      on: (event, listener) => listeners.set(event, (listeners.get(event) ?? new Set()).add(listener)),
      off: (event, listener) => listeners.get(event)?.delete(listener),
      listenerCount: (event) => listeners.get(event)?.size ?? 0,
      kill: (_pid, signal) => void raised.push(signal),
      emit: (event, ...args) => {
        for (const listener of [...(listeners.get(event) ?? [])]) listener(...args);
      },
    };
    return { proc, raised, listeners };
  }
  function fakeSupervisor(stopMs: number) {
    const calls: string[] = [];
    const supervisor = {
      stop: () => (calls.push("stop"), new Promise<void>((resolve) => setTimeout(resolve, stopMs))),
      killNow: () => void calls.push("killNow"),
    } as unknown as ServerSupervisor;
    return { supervisor, calls };
  }

  it("stops every supervisor on a signal, then raises the signal again when nobody else handles it", async () => {
    const { proc, raised, listeners } = fakeProcess();
    const a = fakeSupervisor(20);
    stopAllOnExit([a.supervisor], { process: proc });
    proc.emit("SIGTERM", "SIGTERM");
    expect(raised).toEqual([]);
    await new Promise((r) => setTimeout(r, 60));
    expect(a.calls[0]).toBe("stop");
    expect(raised).toEqual(["SIGTERM"]);
    expect(listeners.get("SIGTERM")?.size).toBe(0);
  });

  it("a second signal SIGKILLs at once; 'exit' SIGKILLs synchronously; another listener keeps the exit to itself", async () => {
    const { proc, raised } = fakeProcess();
    const a = fakeSupervisor(10_000);
    stopAllOnExit(() => [a.supervisor], { process: proc });
    proc.on("SIGINT", () => {}); // the CLI's own shutdown
    proc.emit("SIGINT", "SIGINT");
    proc.emit("SIGINT", "SIGINT");
    expect(a.calls).toEqual(["stop", "killNow"]);
    expect(raised).toEqual([]);

    const b = fakeSupervisor(10);
    const second = fakeProcess();
    const dispose = stopAllOnExit([b.supervisor], { process: second.proc });
    second.proc.emit("exit", 0);
    expect(b.calls).toEqual(["killNow"]);
    dispose();
    expect(second.proc.listenerCount("exit")).toBe(0);
  });
});

describe("bootstrapVenv", () => {
  it("says what to install when no Python 3.10+ exists", async () => {
    const events: string[] = [];
    const run = bootstrapVenv({
      venvDir: join(tempDir(), "venv"),
      requirements: ["mlx-lm>=0.32"],
      onEvent: (e) => events.push(e.message),
      deps: { findPython: async () => ({ tooOld: [{ command: "python3", version: "3.9.6" }] }) },
    });
    await expect(run).rejects.toMatchObject({
      code: "E_SERVER_INSTALL",
      message:
        "mallex needs Python 3.10 or newer to install mlx-lm, and none is on PATH (found only Python 3.9.6 as python3). Install one (macOS: `brew install python@3.12`, or the installer from python.org), then run mallex again.",
    });
    expect(missingPythonSentence([])).toContain("and none is on PATH. Install one");
    expect(events).toEqual([]);
  });

  it("creates the venv once (a marker records what is installed) and skips it the next time", async (context) => {
    const lookup = await lookupPython();
    if (!lookup.found) return context.skip("no Python 3.10+ on this machine");
    const home = tempDir();
    const venvDir = resolveVenvDir(home, true);
    expect(venvDir).toBe(join(home, "venv"));
    const events: string[] = [];
    const first = await bootstrapVenv({ venvDir, requirements: [], onEvent: (e) => events.push(e.message) });
    expect(first).toEqual({ python: join(venvDir, "bin", "python"), changed: true });
    expect(existsSync(first.python)).toBe(true);
    expect(events).toEqual([`creating a Python venv in ${venvDir} (${lookup.found.command}, Python ${lookup.found.version})`]);
    expect(readFileSync(join(venvDir, ".mallex-install.json"), "utf8")).toBe("[]\n");
    expect(await bootstrapVenv({ venvDir, requirements: [], onEvent: (e) => events.push(e.message) })).toEqual({ python: first.python, changed: false });
    expect(events).toHaveLength(1);
    writeFileSync(join(venvDir, ".mallex-install.json"), '["old"]\n');
    expect((await bootstrapVenv({ venvDir, requirements: [], onEvent: () => {} })).changed).toBe(true);
    // A venv made elsewhere (no marker), named with nothing to install: used as it is, nothing written into it.
    rmSync(join(venvDir, ".mallex-install.json"));
    expect(await bootstrapVenv({ venvDir, requirements: [], onEvent: () => {} })).toEqual({ python: first.python, changed: false });
    expect(existsSync(join(venvDir, ".mallex-install.json"))).toBe(false);
    expect(resolveVenvDir(home, "envs/mlx")).toBe(join(home, "envs/mlx"));
    expect(resolveVenvDir(home, "/opt/venv")).toBe("/opt/venv");
  });
});

describe("kept servers in pidfiles and `mallex server status`", () => {
  it("records kept: true with no owner, and says so instead of naming a mallex pid", () => {
    const home = tempDir();
    const record = {
      key: "mlx--m",
      pid: 4321,
      port: 5123,
      baseUrl: "http://127.0.0.1:5123/v1",
      command: "srv --port 5123",
      argv: ["srv", "--port", "5123"],
      model: "m",
      startedAt: "",
      mallexPid: 0,
      processGroup: true,
    };
    writePidfile(home, { ...record, kept: true });
    expect(pidfilesOf(home, "mlx--m")[0]?.record).toEqual({ ...record, kept: true });
    writePidfile(home, { ...record, mallexPid: 77 });
    expect(pidfilesOf(home, "mlx--m")[0]?.record).not.toHaveProperty("kept");
    expect(formatServerStatus({ file: "f", record: { ...record, kept: true }, liveness: "alive", uptimeMs: 61_000 })).toBe(
      "mlx--m  pid 4321  port 5123  m  up 1m01s  alive  (kept: the next `mallex run` reuses it, `mallex server stop` stops it)",
    );
    expect(formatServerStatus({ file: "f", record: { ...record, mallexPid: 77 }, liveness: "stale" })).toBe(
      "mlx--m  pid 4321  port 5123  m  stale (not running)  (mallex pid 77)",
    );
  });
});

describe("the owner of a server record (the mallex that supervises it)", () => {
  const record = {
    key: "mlx--m",
    pid: 4321,
    port: 5123,
    baseUrl: "http://127.0.0.1:5123/v1",
    command: "srv",
    argv: ["srv"],
    model: "m",
    startedAt: "",
    processGroup: true,
  };
  const inspector = (alive: boolean, startTime: string | undefined): ProcessInspector => ({
    isAlive: () => alive,
    commandLine: () => undefined,
    startTime: () => startTime,
  });

  it("is alive only as the same process: same pid and, when recorded, same start time; kept records have none", () => {
    expect(ownerLivenessOf({ ...record, mallexPid: 77, mallexStartTime: "100" }, inspector(true, "100"))).toBe("alive");
    expect(ownerLivenessOf({ ...record, mallexPid: 77, mallexStartTime: "100" }, inspector(true, "250"))).toBe("gone"); // a recycled pid
    expect(ownerLivenessOf({ ...record, mallexPid: 77, mallexStartTime: "100" }, inspector(false, undefined))).toBe("gone");
    expect(ownerLivenessOf({ ...record, mallexPid: 77 }, inspector(true, "250"))).toBe("alive"); // recorded before start times were
    expect(ownerLivenessOf({ ...record, mallexPid: 0, kept: true }, inspector(true, "1"))).toBe("none");
    expect(ownerIdentity(77, inspector(true, "100"))).toEqual({ mallexPid: 77, mallexStartTime: "100" });
    expect(ownerIdentity(77, { isAlive: () => true, commandLine: () => undefined })).toEqual({ mallexPid: 77 });
  });

  it("reads a real start time: stable for one process, undefined once it is gone", async () => {
    const own = systemProcessInspector.startTime!(process.pid);
    expect(own).toMatch(/\S/);
    expect(systemProcessInspector.startTime!(process.pid)).toBe(own);
    const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((resolve) => child.once("exit", resolve));
    expect(systemProcessInspector.startTime!(child.pid!)).toBeUndefined();
  });

  it("status says orphaned when the server runs but its mallex is gone, and notes a removed record", () => {
    const owned = { ...record, mallexPid: 77 };
    expect(formatServerStatus({ file: "f", record: owned, liveness: "alive", owner: "gone", uptimeMs: 5000 })).toBe(
      "mlx--m  pid 4321  port 5123  m  up 5s  alive, orphaned  (its mallex pid 77 is gone: `mallex server stop` stops it)",
    );
    expect(formatServerStatus({ file: "f", record: owned, liveness: "alive", owner: "alive", uptimeMs: 5000 })).toBe(
      "mlx--m  pid 4321  port 5123  m  up 5s  alive  (mallex pid 77)",
    );
    // Several mallex may share MALLEX_HOME: where each listens names it (from its proxy record).
    expect(formatServerStatus({ file: "f", record: owned, liveness: "alive", owner: "alive", uptimeMs: 5000 }, new Map([[77, "http://127.0.0.1:4141"]]))).toBe(
      "mlx--m  pid 4321  port 5123  m  up 5s  alive  (mallex pid 77 at http://127.0.0.1:4141)",
    );
    expect(formatServerStatus({ file: "f", record: owned, liveness: "stale", owner: "gone", removed: true })).toBe(
      "mlx--m  pid 4321  port 5123  m  stale (not running)  (its mallex pid 77 is gone); pidfile removed",
    );
  });

  it("pruneStale removes the records of servers that no longer run, and only those", () => {
    const home = tempDir();
    writePidfile(home, { ...record, key: "mlx--dead", mallexPid: 77 });
    writePidfile(home, { ...record, key: "mlx--live", mallexPid: 77 });
    const statuses = [
      { file: pidfilePath(home, "mlx--dead", record.pid), record: { ...record, key: "mlx--dead", mallexPid: 77 }, liveness: "stale" as const },
      { file: pidfilePath(home, "mlx--live", record.pid), record: { ...record, key: "mlx--live", mallexPid: 77 }, liveness: "alive" as const },
    ];
    expect(pruneStale(statuses).map((s) => s.removed ?? false)).toEqual([true, false]);
    expect(pidfilesOf(home, "mlx--dead")).toEqual([]);
    expect(pidfilesOf(home, "mlx--live")).toHaveLength(1);
  });
});

describe.skipIf(process.platform === "win32")("armDeathWatch", () => {
  const gone = async (pid: number) => {
    for (const deadline = Date.now() + 20_000; systemProcessInspector.isAlive(pid); await new Promise((r) => setTimeout(r, 25))) {
      if (Date.now() > deadline) throw new Error(`pid ${pid} still runs`);
    }
  };
  const sleeper = () => {
    const target = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
    children.push(target);
    return target.pid!;
  };

  it("stops its target's process group when the process holding its pipe is SIGKILLed, then exits", async () => {
    // A stand-in for mallex: starts a group leader and the watch's source on it, as armDeathWatch does.
    const source = `
      const { spawn } = require("node:child_process");
      const target = spawn("sleep", ["60"], { detached: true, stdio: "ignore" });
      const watch = spawn(process.execPath, ["-e", process.argv[1], String(target.pid), "group", "500", "1000"], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
      console.log(target.pid + " " + watch.pid);
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ["-e", source, DEATH_WATCH_SOURCE], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(owner);
    const [target, watch] = await new Promise<number[]>((resolve) =>
      owner.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim().split(" ").map(Number))),
    );
    expect(systemProcessInspector.isAlive(target!)).toBe(true);
    owner.kill("SIGKILL");
    await gone(target!);
    await gone(watch!);
  });

  it.skipIf(process.platform !== "linux")("stops what is left of the group after its leader exited (a crashed server's children)", async () => {
    const source = `
      const { spawn } = require("node:child_process");
      const target = spawn("sh", ["-c", "sleep 60 & sleep 1"], { detached: true, stdio: "ignore" });
      const watch = spawn(process.execPath, ["-e", process.argv[1], String(target.pid), "group", "500", "50"], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
      console.log(target.pid + " " + watch.pid);
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ["-e", source, DEATH_WATCH_SOURCE], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(owner);
    const [leader, watch] = await new Promise<number[]>((resolve) =>
      owner.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim().split(" ").map(Number))),
    );
    await gone(leader!);
    const left = liveGroupMembers(leader!);
    expect(left).toHaveLength(1); // sleep 60
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(systemProcessInspector.isAlive(watch!)).toBe(true); // the group lives on: still watched
    owner.kill("SIGKILL");
    await gone(left[0]!);
    await gone(watch!);
  });

  it.skipIf(process.platform !== "linux")("a target signalled alone (Claude Code): what it started and left behind is stopped after it", async () => {
    const source = `
      const { spawn } = require("node:child_process");
      const target = spawn("sh", ["-c", "sleep 60 & wait"], { stdio: "ignore" });
      const watch = spawn(process.execPath, ["-e", process.argv[1], String(target.pid), "single", "2000", "1000"], { detached: true, stdio: ["pipe", "ignore", "ignore"] });
      console.log(target.pid + " " + watch.pid);
      setInterval(() => {}, 1000);`;
    const owner = spawn(process.execPath, ["-e", source, DEATH_WATCH_SOURCE], { stdio: ["ignore", "pipe", "inherit"] });
    children.push(owner);
    const [target, watch] = await new Promise<number[]>((resolve) =>
      owner.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim().split(" ").map(Number))),
    );
    let sleeper: number | undefined;
    for (const deadline = Date.now() + 10_000; sleeper === undefined; await new Promise((r) => setTimeout(r, 25))) {
      sleeper = childrenMatching(target!, "sleep")[0];
      if (Date.now() > deadline) throw new Error("sleep 60 did not start");
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // the watch has started
    owner.kill("SIGKILL");
    await gone(target!);
    await gone(sleeper);
    await gone(watch!);
  });

  it("its source is valid JavaScript, the branches for other platforms too", () => {
    expect(() => new Function("require", DEATH_WATCH_SOURCE)).not.toThrow();
  });

  it("disarm() ends the watch and leaves the target alone; a watch whose target is gone exits by itself", async () => {
    const target = sleeper();
    const watch = armDeathWatch({ pid: target, group: true, graceMs: 500 });
    expect(watch.pid).toBeGreaterThan(0);
    watch.disarm();
    watch.disarm();
    await gone(watch.pid!);
    expect(systemProcessInspector.isAlive(target)).toBe(true);

    const other = armDeathWatch({ pid: target, group: true, graceMs: 500 }, { pollMs: 50 });
    process.kill(-target, "SIGKILL");
    await gone(other.pid!);
  });
});
