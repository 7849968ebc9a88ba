/**
 * The supervisor against a real process: the fake mlx-lm.server started through the configured
 * command line (quoted paths, placeholders), told to load slowly, crash, wedge, print OOM or
 * download progress.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createProcessCleanup } from "./helpers/process-cleanup.js";
import { afterEach, describe, expect, it } from "vitest";
import { createSupervisor, type SupervisorOptions } from "../src/supervisor/create-supervisor.js";
import { pidfilePath, pidfilesOf } from "../src/supervisor/processes/pidfile.js";
import { serverLogPath } from "../src/supervisor/server-log.js";
import { findPackageRoot } from "../src/shared/package-root.js";
import { systemProcessInspector } from "../src/supervisor/processes/process-identity.js";
import { SupervisorError } from "../src/supervisor/supervisor-error.js";
import type { ServerSupervisor, SupervisedServerSpec, SupervisorEvent } from "../src/supervisor/types.js";
import { discoverServerFacts } from "../src/backends/discover-server-facts.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import { learnServerFacts } from "../src/server/learn-server-facts.js";
import type { ServerContext } from "../src/pipeline/server-context.js";
import { describeWithShared, sharedPath } from "./helpers/shared-dir.js";

const FAKE = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const OOM_WRAPPER = fileURLToPath(new URL("./fakes/oom-above-context.js", import.meta.url));
const CUDA_ABORT = fileURLToPath(new URL("./fakes/cuda-abort-unless-cpu.js", import.meta.url));
const THREAD_DIED = fileURLToPath(new URL("./fakes/generation-thread-died.js", import.meta.url));
const MODEL = "mlx-community/Test-4bit";
const quote = (path: string) => `'${path}'`;
const fakeCommand = (flags: string, script = FAKE) => `${quote(process.execPath)} ${quote(script)} --model {model} --host {host} --port {port} ${flags}`;

interface Harness {
  supervisor: ServerSupervisor;
  events: Array<SupervisorEvent & { at: number }>;
  home: string;
  waitFor(predicate: (event: SupervisorEvent) => boolean, timeoutMs?: number): Promise<SupervisorEvent & { at: number }>;
}

const processes = createProcessCleanup("mallex-supervisor-");
const { supervisors, pids } = processes;

afterEach(() => processes.cleanup());

const newHome = (): string => processes.home();

function start(command: string, over: Partial<SupervisedServerSpec> = {}, options: Partial<SupervisorOptions> = {}, home = newHome()): Harness {
  const events: Harness["events"] = [];
  const waiters = new Set<() => void>();
  const spec: SupervisedServerSpec = {
    key: "mlx--test",
    command,
    model: MODEL,
    install: [],
    readiness: { probe: "generate", timeoutMs: 10_000 },
    idleUnloadMs: 0,
    wedgeTimeoutMs: 0,
    maxRestarts: 2,
    restartWindowMs: 60_000,
    ...over,
  };
  const supervisor = createSupervisor(spec, {
    mallexHome: home,
    restartDelayMs: { base: 50, max: 200 },
    stopTimeoutMs: 2000,
    heartbeatMs: 60_000,
    onEvent(event) {
      events.push({ ...event, at: Date.now() });
      if (supervisor.pid !== undefined) pids.add(supervisor.pid);
      for (const wake of waiters) wake();
    },
    ...options,
  });
  supervisors.push(supervisor);
  const waitFor: Harness["waitFor"] = (predicate, timeoutMs = 10_000) =>
    new Promise((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < events.length; seen++) {
          const event = events[seen]!;
          if (predicate(event)) {
            cleanup();
            return resolve(event);
          }
        }
      };
      const timer = setTimeout(() => (cleanup(), reject(new Error(`no such event; saw ${JSON.stringify(events.map((e) => e.type))}`))), timeoutMs);
      const cleanup = () => (clearTimeout(timer), waiters.delete(check));
      waiters.add(check);
      check();
    });
  return { supervisor, events, home, waitFor };
}

const alive = (pid: number | undefined) => pid !== undefined && systemProcessInspector.isAlive(pid);
const types = (h: Harness) => h.events.map((e) => e.type);
const chat = (baseUrl: string, signal?: AbortSignal) =>
  fetch(`${baseUrl}/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ messages: [{ role: "user", content: "hi" }], max_tokens: 5 }),
    ...(signal ? { signal } : {}),
  });

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
  }
}

describe("createSupervisor: start and readiness", () => {
  it("is ready only after a real 1-token generation, though /health says ok while the model loads", async () => {
    const h = start(fakeCommand("--load-ms 800"));
    let healthWhileLoading: number | undefined;
    let readyYet = false;
    void h
      .waitFor((e) => e.type === "progress" && e.message.startsWith("listening on port"))
      .then(async (e) => {
        const port = (h.events.find((x) => x.type === "starting") as { port: number }).port;
        healthWhileLoading = (await fetch(`http://127.0.0.1:${port}/health`)).status;
        expect(readyYet).toBe(false);
        return e;
      });
    const baseUrl = await h.supervisor.ensureReady();
    readyYet = true;
    const starting = h.events.find((e) => e.type === "starting") as Extract<SupervisorEvent, { type: "starting" }> & { at: number };
    const listening = h.events.find((e) => e.type === "progress" && e.message.startsWith("listening"))!;
    const ready = h.events.find((e) => e.type === "ready")!;

    expect(healthWhileLoading).toBe(200);
    expect(ready.at - listening.at).toBeGreaterThanOrEqual(500);
    expect(baseUrl).toBe(`http://127.0.0.1:${starting.port}/v1`);
    expect(starting.command).toContain(`--model ${MODEL} --host 127.0.0.1 --port ${starting.port} --load-ms 800`);
    expect(types(h)).toEqual(["starting", "progress", "progress", "ready"]);
    expect(h.supervisor.state).toBe("ready");
    expect(h.supervisor.baseUrl).toBe(baseUrl);
    const answer = (await (await chat(baseUrl)).json()) as { choices: Array<{ message: { content: string } }> };
    expect(answer.choices[0]!.message.content).toBe("hi");

    const pidfile = pidfilesOf(h.home, "mlx--test")[0]?.record;
    expect(pidfile).toMatchObject({
      key: "mlx--test",
      pid: h.supervisor.pid,
      port: starting.port,
      baseUrl,
      model: MODEL,
      mallexPid: process.pid,
      processGroup: true,
    });
    const log = readFileSync(join(h.home, "server.log"), "utf8");
    expect(log).toContain(`Starting httpd at 127.0.0.1 on port ${starting.port}...`);
    expect(log).toContain("[mallex]");

    const pid = h.supervisor.pid;
    await h.supervisor.stop();
    expect(alive(pid)).toBe(false);
    expect(h.supervisor.state).toBe("stopped");
    expect(pidfilesOf(h.home, "mlx--test")).toEqual([]);
    expect(types(h).at(-1)).toBe("stopped");
  });

  it("reports download progress parsed from the tqdm output, before ready", async () => {
    const h = start(fakeCommand("--load-ms 500 --download-progress"));
    await h.supervisor.ensureReady();
    const progress = h.events.filter((e): e is Extract<SupervisorEvent, { type: "progress" }> & { at: number } => e.type === "progress");
    const downloads = progress.filter((e) => e.message.startsWith("downloading model-00001-of-00004.safetensors"));
    expect(downloads.map((e) => e.percent)).toEqual([20, 40, 60, 80, 100]);
    expect(downloads[4]!.message).toBe("downloading model-00001-of-00004.safetensors: 5.30G/5.30G");
    expect(progress.find((e) => e.message.startsWith("fetching"))).toMatchObject({ message: `fetching ${MODEL}: 0/9 files`, percent: 0 });
    expect(progress.some((e) => e.message === `fetching ${MODEL}: 9/9 files` && e.percent === 100)).toBe(true);
    const readyAt = h.events.find((e) => e.type === "ready")!.at;
    expect(progress.every((e) => e.at <= readyAt)).toBe(true);
  });

  it("says it is still loading while the server is silent for heartbeatMs", async () => {
    const h = start(fakeCommand("--load-ms 900"), {}, { heartbeatMs: 200 });
    await h.supervisor.ensureReady();
    const beats = h.events.filter((e) => e.type === "progress" && e.message.startsWith("still starting"));
    expect(beats.length).toBeGreaterThanOrEqual(2);
    expect((beats[0] as { message: string }).message).toMatch(new RegExp(`^still starting: loading ${MODEL} \\(\\d+ s so far\\)$`));
  });

  it("probe: health (llama-server) is ready once /health answers 200", async () => {
    // A generation would wait for the 6 s load and fail the 5 s readiness wait.
    const h = start(fakeCommand("--load-ms 6000"), { readiness: { probe: "health", timeoutMs: 5000 } });
    expect(await h.supervisor.ensureReady()).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
  });

  it("fails with the server's own error when it refuses the test generation, and stops it", async () => {
    // No --model: mlx-lm.server answers 404 with the load error.
    const h = start(`${quote(process.execPath)} ${quote(FAKE)} --host {host} --port {port}`);
    const error = (await h.supervisor.ensureReady().catch((e: unknown) => e)) as SupervisorError;
    expect(error.message).toMatch(
      /^The model server mlx--test did not become ready: it answered the test request with 404: expected str, bytes or os\.PathLike object, not NoneType\. Check the model id/,
    );
    const pid = [...pids].at(-1);
    expect(alive(pid)).toBe(false);
    expect(h.supervisor.state).toBe("failed");
  });

  it.each([
    ["as the probe comes", ""],
    ["only when stopped (still in the pipe when the probe is answered)", " --late"],
    ["with 30 log lines after it (two ranks' output and the launcher's)", " --noise 30"],
    ["a moment after the probe's answer, and never once stopped (mlx.launch relays its ranks' lines late, and dies with them unrelayed)", " --relay-ms 300"],
    [
      "in two pieces a tenth of a second apart, after the probe's answer, and never once stopped (mlx.launch relays what it reads as it reads it)",
      " --relay-ms 300 --split-ms 100",
    ],
  ])(
    'mlx-lm 0.32, whose model loads in a thread: every request is a 404 "generation thread died", so the start fails quoting the error it printed %s',
    async (_when, flags) => {
      const h = start(`${quote(process.execPath)} ${quote(THREAD_DIED)} --model /nowhere/model --host {host} --port {port}${flags}`);
      const error = (await h.supervisor.ensureReady().catch((e: unknown) => e)) as SupervisorError;
      expect(error.message).toMatch(
        /^The model server mlx--test did not become ready: it answered the test request with 404: generation thread died \(its output: huggingface_hub\.errors\.HFValidationError: Repo id must be in the form 'repo_name' or 'namespace\/repo_name': '\/nowhere\/model'\. Use `repo_type` argument if needed\.\)\. Check the model id/,
      );
      expect(h.supervisor.state).toBe("failed");
    },
  );

  it("fails after readiness.timeoutMs and stops the process", async () => {
    const h = start(fakeCommand("--load-ms 10000"), { readiness: { probe: "generate", timeoutMs: 600 } });
    const error = (await h.supervisor.ensureReady().catch((e: unknown) => e)) as SupervisorError;
    expect(error.message).toContain(
      "did not become ready: it did not answer a 1-token test generation within 0.6 s. If the model is still downloading, raise readiness timeout_s",
    );
    expect(alive([...pids].at(-1))).toBe(false);
  });

  it("shares one start between concurrent callers", async () => {
    const h = start(fakeCommand("--load-ms 300"));
    const urls = await Promise.all([h.supervisor.ensureReady(), h.supervisor.ensureReady(), h.supervisor.ensureReady()]);
    expect(new Set(urls).size).toBe(1);
    expect(types(h).filter((t) => t === "starting")).toHaveLength(1);
  });

  it("stop() while starting rejects the waiting callers and leaves no process", async () => {
    const h = start(fakeCommand("--load-ms 5000"));
    const waiting = h.supervisor.ensureReady().catch((error: unknown) => error);
    await h.waitFor((e) => e.type === "progress");
    const pid = h.supervisor.pid;
    expect(alive(pid)).toBe(true);
    await h.supervisor.stop();
    expect(await waiting).toMatchObject({ code: "E_SERVER_STOPPED", message: "The model server mlx--test was stopped while starting." });
    expect(alive(pid)).toBe(false);
    expect(h.supervisor.state).toBe("stopped");
  });

  it("fails fast with the server's last line when it exits while starting", async () => {
    const h = start(fakeCommand("--no-such-flag"));
    const error = await h.supervisor.ensureReady().catch((e: unknown) => e);
    expect(SupervisorError.isInstance(error)).toBe(true);
    expect((error as SupervisorError).message).toMatch(
      /^The model server mlx--test exited while starting \(code 2 \(bad arguments\)\): mlx_lm\.server: error: .*no-such-flag/,
    );
    expect((error as SupervisorError).details.join("\n")).toContain("usage: mlx_lm.server");
    expect(h.supervisor.state).toBe("failed");
    expect(types(h)).toEqual(["starting", "failed"]);
  });

  it("says which program is missing when the command cannot be started", async () => {
    const h = start("mallex-no-such-server --port {port}");
    await expect(h.supervisor.ensureReady()).rejects.toThrow(
      /could not be started \(spawn mallex-no-such-server ENOENT\): is `mallex-no-such-server` installed and on PATH\?/,
    );
  });
});

describe("createSupervisor: crash, wedge, out of memory", () => {
  it("restarts a server that crashed; the next ensureReady gets the new process", async () => {
    // The readiness probe is the first generation, so the 2nd request (ours) crashes it.
    const h = start(fakeCommand("--crash-after-requests 2"));
    const first = await h.supervisor.ensureReady();
    const pid1 = h.supervisor.pid;
    expect((await chat(first)).status).toBe(200);
    const crashed = await h.waitFor((e) => e.type === "crashed");
    expect(crashed).toMatchObject({ code: 139, signal: null });
    expect((crashed as { message: string }).message).toBe("Fatal Python error: Segmentation fault");
    await h.waitFor((e) => e.type === "ready");
    const second = await h.supervisor.ensureReady();
    expect(h.supervisor.pid).not.toBe(pid1);
    expect(second).not.toBe(first);
    expect(alive(pid1)).toBe(false);
    expect(types(h)).toEqual(["starting", "progress", "progress", "ready", "crashed", "restarting", "starting", "progress", "progress", "ready"]);
    expect(h.events.find((e) => e.type === "restarting")).toMatchObject({ attempt: 1, delayMs: 50 });
  });

  it("restarts a wedged server: a request with no token for wedgeTimeoutMs fails, the next one gets a fresh server", async () => {
    const h = start(fakeCommand("--wedge-after-requests 1"), { wedgeTimeoutMs: 300 });
    const first = await h.supervisor.ensureReady();
    const pid1 = h.supervisor.pid;
    const lease = h.supervisor.beginRequest();
    const request = chat(first, lease.signal).then(
      () => "answered",
      () => "failed",
    );
    const wedged = await h.waitFor((e) => e.type === "wedged");
    // Asked at once, while the wedged process is still being stopped: never its port (it refuses from
    // now on; a busy engine took 2 s to exit, and a retry in between got ECONNREFUSED), the restart's.
    const next = h.supervisor.ensureReady();
    expect((wedged as { message: string }).message).toMatch(/no token for 0\.3 s/);
    expect(lease.signal.aborted).toBe(true);
    expect(await next).not.toBe(first);
    expect(await request).toBe("failed");
    lease.end();
    await h.waitFor((e) => e.type === "ready" && e !== h.events.find((x) => x.type === "ready"));
    expect(await h.supervisor.ensureReady()).not.toBe(first);
    await until(() => !alive(pid1));
    expect(types(h)).toEqual(["starting", "progress", "progress", "ready", "wedged", "restarting", "starting", "progress", "progress", "ready"]);
  });

  it("a lease that keeps making progress is not wedged, nor one for a non-streamed answer (watch: false)", async () => {
    const h = start(fakeCommand(""), { wedgeTimeoutMs: 200 });
    await h.supervisor.ensureReady();
    const lease = h.supervisor.beginRequest();
    const whole = h.supervisor.beginRequest({ watch: false });
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 60));
      lease.progress();
    }
    lease.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(whole.signal.aborted).toBe(false);
    whole.end();
    expect(types(h)).not.toContain("wedged");
    expect(h.supervisor.state).toBe("ready");
  });

  it("recognises Metal out-of-memory in the output and says so", async () => {
    const h = start(fakeCommand("--oom"));
    const error = (await h.supervisor.ensureReady().catch((e: unknown) => e)) as Error;
    const oom = h.events.find((e) => e.type === "out-of-memory") as { message: string } | undefined;
    expect(oom?.message).toBe(
      `The model server ran out of GPU memory (Metal "Insufficient Memory") with ${MODEL}: the weights plus the context do not fit. Pick a smaller model or quantization, lower the context size, or quit apps that use GPU memory.`,
    );
    expect(error.message).toContain("ran out of GPU memory");
    expect(error.message).toContain("server.log");
    expect(h.supervisor.state).toBe("failed");
    expect(pidfilesOf(h.home, "mlx--test")).toEqual([]);
  });

  it("after out-of-memory, retries with half the context when the command has -c N", async () => {
    const h = start(fakeCommand("-c 16384", OOM_WRAPPER));
    const baseUrl = await h.supervisor.ensureReady();
    const ooms = h.events.filter((e) => e.type === "out-of-memory").map((e) => (e as { message: string }).message);
    expect(ooms).toHaveLength(2);
    expect(ooms[0]).toContain("mallex restarts it with a context of 8192 tokens instead of 16384.");
    expect(ooms[1]).toContain("mallex restarts it with a context of 4096 tokens instead of 8192.");
    const commands = h.events.filter((e) => e.type === "starting").map((e) => (e as { command: string }).command);
    expect(commands.map((c) => /-c (\d+)/.exec(c)?.[1])).toEqual(["16384", "8192", "4096"]);
    expect((await chat(baseUrl)).status).toBe(200);
  });

  it("a GPU backend that aborts on its first token: the CUDA error in one sentence, then one start on the CPU (--gpu-layers 0), no restart loop", async () => {
    const h = start(fakeCommand("--gpu-layers auto", CUDA_ABORT));
    const baseUrl = await h.supervisor.ensureReady();
    const commands = h.events.filter((e) => e.type === "starting").map((e) => (e as { command: string }).command);
    expect(commands.map((c) => /--gpu-layers (\S+)/.exec(c)?.[1])).toEqual(["auto", "0"]);
    const crashed = h.events.filter((e) => e.type === "crashed") as Array<{ message: string; signal: string | null }>;
    expect(crashed).toHaveLength(1);
    expect(crashed[0]!.signal).toBe("SIGABRT");
    expect(crashed[0]!.message).toMatch(
      /^The GPU backend of mlx--test cannot run here \(CUDA error: the provided PTX was compiled with an unsupported toolchain\): mallex restarts it on the CPU \(--gpu-layers 0\)\./,
    );
    expect(crashed[0]!.message).not.toMatch(/libc|0x7f/);
    expect(types(h).filter((t) => t === "restarting")).toHaveLength(1);
    expect((await chat(baseUrl)).status).toBe(200);
  });

  it("a GPU abort whose CUDA message was lost still names the CUDA error, not a backtrace line", async () => {
    const h = start(fakeCommand("--gpu-layers 99 --lost-log", CUDA_ABORT));
    await h.supervisor.ensureReady();
    const crashed = h.events.find((e) => e.type === "crashed") as { message: string };
    expect(crashed.message).toMatch(/cannot run here \(ggml-cuda\.cu:108: CUDA error\): mallex restarts it on the CPU/);
  });

  it("a server with no GPU-layers flag to turn off fails at once with the CUDA sentence instead of looping", async () => {
    // The fake without --gpu-layers: like vLLM, nothing mallex can set to leave the GPU.
    const h = start(`${quote(process.execPath)} ${quote(CUDA_ABORT)} --model {model} --host {host} --port {port}`);
    const error = await h.supervisor.ensureReady().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(SupervisorError);
    expect((error as Error).message).toMatch(
      /^The GPU backend of mlx--test cannot run here \(CUDA error: the provided PTX was compiled with an unsupported toolchain\); start it on the CPU/,
    );
    expect(types(h).filter((t) => t === "starting")).toHaveLength(1);
  });

  it("gives up after maxRestarts crashes within the window, then tries again on the next ensureReady", async () => {
    // Every instance crashes right after answering the readiness probe.
    const h = start(fakeCommand("--crash-after-requests 1"), { maxRestarts: 2 });
    await h.supervisor.ensureReady();
    const failed = await h.waitFor((e) => e.type === "failed", 15_000);
    expect((failed as { message: string }).message).toMatch(
      /^The model server mlx--test crashed 3 times within 1 min; mallex stopped restarting it\. Its log: .*server\.log \(`mallex server logs`\)\./,
    );
    expect(h.supervisor.state).toBe("failed");
    expect(types(h).filter((t) => t === "crashed")).toHaveLength(3);
    expect(h.events.filter((e) => e.type === "restarting").map((e) => (e as { delayMs: number }).delayMs)).toEqual([50, 100]);
    expect(h.supervisor.pid).toBeUndefined();
    await h.supervisor.ensureReady();
    expect(types(h).filter((t) => t === "starting")).toHaveLength(4);
  });
});

describe("createSupervisor: idle unload", () => {
  it("unloads after idleUnloadMs without a request, never while one is in flight, and starts again lazily", async () => {
    const h = start(fakeCommand(""), { idleUnloadMs: 400 });
    await h.supervisor.ensureReady();
    const pid1 = h.supervisor.pid;
    const lease = h.supervisor.beginRequest();
    await new Promise((r) => setTimeout(r, 700));
    expect(types(h)).not.toContain("unloaded");
    lease.end();
    const ended = Date.now();
    const unloaded = await h.waitFor((e) => e.type === "unloaded");
    expect(unloaded.at - ended).toBeGreaterThanOrEqual(350);
    expect(unloaded).toMatchObject({ reason: "idle for 0.4 s" });
    expect(h.supervisor.state).toBe("stopped");
    expect(alive(pid1)).toBe(false);
    expect(pidfilesOf(h.home, "mlx--test")).toEqual([]);

    await h.supervisor.ensureReady();
    expect(h.supervisor.state).toBe("ready");
    expect(h.supervisor.pid).not.toBe(pid1);
    expect(types(h).filter((t) => t === "starting")).toHaveLength(2);
  });
});

describe("createSupervisor: beforeStop (a server keeps its prompt cache as it stops)", () => {
  it("is given the ready server's URL while it still answers, on stop() and on an idle unload, once a run", async () => {
    const seen: Array<{ baseUrl: string; answered: boolean }> = [];
    const beforeStop = async (baseUrl: string) => {
      const health = await fetch(`${baseUrl.replace(/\/v1$/, "")}/health`).then(
        (response) => response.ok,
        () => false,
      );
      seen.push({ baseUrl, answered: health });
    };
    const h = start(fakeCommand(""), { idleUnloadMs: 300 }, { beforeStop });
    const first = await h.supervisor.ensureReady();
    await h.waitFor((e) => e.type === "unloaded");
    const second = await h.supervisor.ensureReady();
    await h.supervisor.stop();
    expect(seen).toEqual([
      { baseUrl: first, answered: true },
      { baseUrl: second, answered: true },
    ]);
    await h.supervisor.stop();
    expect(seen).toHaveLength(2);
  });

  it("stops the server after beforeStopTimeoutMs when beforeStop hangs, saying so in the server's log", async () => {
    const h = start(fakeCommand(""), {}, { beforeStop: () => new Promise(() => {}), beforeStopTimeoutMs: 300 });
    await h.supervisor.ensureReady();
    const pid = h.supervisor.pid!;
    await h.supervisor.stop();
    expect(alive(pid)).toBe(false);
    expect(readFileSync(serverLogPath(h.home), "utf8")).toContain("its prompt cache not kept within 0.3 s: stopped without it");
  });
});

describe("createSupervisor: keep (on_exit: keep) and adopt", () => {
  const pidfileOf = (h: Harness) => pidfilesOf(h.home, "mlx--test")[0]?.record;

  /** A ready server, kept: it runs on with a kept pidfile and the supervisor lets go of it. */
  async function keptServer(command = fakeCommand("")) {
    const first = start(command);
    const baseUrl = await first.supervisor.ensureReady();
    const pid = first.supervisor.pid!;
    expect(first.supervisor.keep()).toEqual({ key: "mlx--test", pid, baseUrl });
    return { first, pid, baseUrl };
  }

  it("keep() leaves the server running with a kept pidfile (no owner); stop() and killNow() no longer touch it; its output still reaches server.log", async () => {
    const { first, pid, baseUrl } = await keptServer();
    expect(first.supervisor.state).toBe("stopped");
    expect(first.supervisor.pid).toBeUndefined();
    expect(first.supervisor.baseUrl).toBeUndefined();
    expect(pidfileOf(first)).toMatchObject({ pid, baseUrl, kept: true, mallexPid: 0 });
    first.supervisor.killNow();
    await first.supervisor.stop();
    expect(alive(pid)).toBe(true);
    expect(pidfileOf(first)?.kept).toBe(true);
    // mallex's ends of its pipes are closed: the sink carries its output, so a request does not break it.
    expect((await chat(baseUrl)).status).toBe(200);
    await until(() => readFileSync(join(first.home, "server.log"), "utf8").includes("Prompt processing progress"), 3000);
    expect((await chat(baseUrl)).status).toBe(200);
    expect(alive(pid)).toBe(true);
    expect(readFileSync(join(first.home, "server.log"), "utf8")).toContain(`kept running after the session (pid ${pid}`);
    expect(first.supervisor.keep()).toBeUndefined(); // nothing ready to keep
  });

  it("a second supervisor with the same spec adopts the kept server: same pid, no new process, ready at once; stop() then stops it", async () => {
    const { first, pid, baseUrl } = await keptServer();
    const second = start(fakeCommand(""), {}, {}, first.home);
    expect(await second.supervisor.ensureReady()).toBe(baseUrl);
    expect(second.supervisor.pid).toBe(pid);
    expect(second.supervisor.state).toBe("ready");
    expect(types(second)).toEqual(["progress", "ready"]);
    expect(second.events[0]).toMatchObject({ message: `reusing the server kept running by an earlier session (pid ${pid})` });
    expect(second.events[1]).toMatchObject({ type: "ready", baseUrl, reused: true });
    const record = pidfileOf(second);
    expect(record).toMatchObject({ pid, mallexPid: process.pid });
    expect(record?.kept).toBeUndefined();
    expect(existsSync(`${pidfilePath(first.home, "mlx--test", pid)}.${process.pid}.adopting`)).toBe(false);
    expect((await chat(baseUrl)).status).toBe(200);

    await second.supervisor.stop();
    expect(alive(pid)).toBe(false);
    expect(pidfileOf(second)).toBeUndefined();
  });

  it("an adopted server can be kept again, and adopted again", async () => {
    const { first, pid } = await keptServer();
    const second = start(fakeCommand(""), {}, {}, first.home);
    await second.supervisor.ensureReady();
    expect(second.supervisor.keep()).toMatchObject({ pid });
    expect(pidfileOf(second)).toMatchObject({ pid, kept: true, mallexPid: 0 });
    const third = start(fakeCommand(""), {}, {}, first.home);
    await third.supervisor.ensureReady();
    expect(third.supervisor.pid).toBe(pid);
  });

  it("a kept server whose process died is not adopted: a fresh one starts", async () => {
    const { first, pid } = await keptServer();
    process.kill(pid, "SIGKILL");
    await until(() => !alive(pid));
    const second = start(fakeCommand(""), {}, {}, first.home);
    await second.supervisor.ensureReady();
    expect(second.supervisor.pid).not.toBe(pid);
    expect(types(second)).toContain("starting");
    expect(second.events.find((e) => e.type === "ready")).not.toHaveProperty("reused");
    expect(pidfileOf(second)).toMatchObject({ pid: second.supervisor.pid, mallexPid: process.pid });
    expect(readFileSync(join(first.home, "server.log"), "utf8")).toContain(`the server kept by an earlier session (pid ${pid}) is no longer running`);
  });

  it("a kept server that runs another command is stopped, and a fresh one starts", async () => {
    const { first, pid } = await keptServer();
    const second = start(fakeCommand("--max-tokens 100"), {}, {}, first.home);
    await second.supervisor.ensureReady();
    expect(alive(pid)).toBe(false);
    expect(second.supervisor.pid).not.toBe(pid);
    expect(second.events[0]).toMatchObject({
      type: "progress",
      message: `stopped mlx--test (pid ${pid}) kept running by an earlier session: it runs another command; starting a fresh one`,
    });
    expect(types(second).slice(1)).toEqual(["starting", "progress", "progress", "ready"]);
  });

  it("a kept server of another model, or one that does not answer the readiness probe, is stopped too", async () => {
    const other = await keptServer();
    const second = start(fakeCommand(""), { model: "mlx-community/Other-4bit" }, {}, other.first.home);
    await second.supervisor.ensureReady();
    expect(alive(other.pid)).toBe(false);
    expect(second.events[0]).toMatchObject({ message: expect.stringContaining("it runs another model (mlx-community/Test-4bit)") });

    // The readiness probe is its first generation; every later request hangs.
    const wedged = await keptServer(fakeCommand("--wedge-after-requests 1"));
    const third = start(fakeCommand("--wedge-after-requests 1"), { readiness: { probe: "generate", timeoutMs: 400 } }, {}, wedged.first.home);
    await third.supervisor.ensureReady().catch(() => {}); // the fresh one's own probe passes
    expect(alive(wedged.pid)).toBe(false);
    expect(third.events[0]).toMatchObject({
      message: expect.stringContaining("it did not answer the readiness probe (it did not answer a 1-token test generation within 0.4 s)"),
    });
    expect(third.supervisor.pid).not.toBe(wedged.pid);
  });

  it("sees an adopted server die by polling its pid, and restarts it like a crashed one", async () => {
    const { first, pid } = await keptServer();
    const second = start(fakeCommand(""), {}, { adoptedPollMs: 50 }, first.home);
    await second.supervisor.ensureReady();
    process.kill(pid, "SIGKILL");
    const crashed = await second.waitFor((e) => e.type === "crashed");
    expect(crashed).toMatchObject({
      code: null,
      signal: null,
      message: expect.stringContaining("its process is gone (mallex reused it from an earlier session"),
    });
    await second.waitFor((e) => e.type === "ready" && !e.reused);
    expect(second.supervisor.pid).not.toBe(pid);
    expect(types(second)).toEqual(["progress", "ready", "crashed", "restarting", "starting", "progress", "progress", "ready"]);
  });

  it("unloads an adopted server when it is idle, and `mallex server stop` (its pidfile gone) is no crash", async () => {
    const idle = await keptServer();
    const second = start(fakeCommand(""), { idleUnloadMs: 300 }, {}, idle.first.home);
    await second.supervisor.ensureReady();
    await second.waitFor((e) => e.type === "unloaded");
    expect(alive(idle.pid)).toBe(false);
    expect(pidfileOf(second)).toBeUndefined();

    const external = await keptServer();
    const third = start(fakeCommand(""), {}, { adoptedPollMs: 50 }, external.first.home);
    await third.supervisor.ensureReady();
    rmSync(pidfilePath(external.first.home, "mlx--test", external.pid));
    process.kill(external.pid, "SIGTERM");
    expect(await third.waitFor((e) => e.type === "unloaded")).toMatchObject({ reason: "stopped by `mallex server stop`" });
    expect(types(third)).not.toContain("crashed");
  });
});

describe("createSupervisor: the embedded engine's GPU fallback chain (fake GPU machine: test/fakes/gpu-engine/mallex.js)", () => {
  const GPU_ENGINE = fileURLToPath(new URL("./fakes/gpu-engine/mallex.js", import.meta.url));
  const engineCommand = (flags: string) => `${quote(process.execPath)} ${quote(GPU_ENGINE)} engine --model {model} --host {host} --port {port} ${flags}`;
  const startsOf = (h: Harness) => h.events.filter((e) => e.type === "starting").map((e) => (e as { command: string }).command);
  const flagOf = (command: string, flag: string) => new RegExp(`${flag} (\\S+)`).exec(command)?.[1];

  it("CUDA's prebuilt aborts: its source build is looked for, Vulkan (where it runs) is next, and the planned context is planned again there", async () => {
    const h = start(engineCommand("--ctx-size 65536 --fake-gpus cuda,vulkan --fake-broken cuda:prebuilt"), { key: "embedded--q.gguf", plannedContext: true });
    const baseUrl = await h.supervisor.ensureReady();
    const commands = startsOf(h);
    expect(commands).toHaveLength(2);
    expect(commands.map((c) => flagOf(c, "--gpu-backends"))).toEqual([undefined, "cuda:local,vulkan,cpu"]);
    expect(commands.map((c) => [flagOf(c, "--ctx-size"), flagOf(c, "--max-ctx-size")])).toEqual([
      ["65536", undefined],
      [undefined, "65536"],
    ]);
    const crashed = h.events.filter((e) => e.type === "crashed") as Array<{ message: string; signal: string | null }>;
    expect(crashed).toHaveLength(1);
    expect(crashed[0]!.signal).toBe("SIGABRT");
    expect(crashed[0]!.message).toBe(
      `The GPU backend of embedded--q.gguf cannot run here (CUDA error: the provided PTX was compiled with an unsupported toolchain): mallex restarts it on the first of these that loads here: a local source build of node-llama-cpp for CUDA, then Vulkan, then the CPU (--gpu-backends cuda:local,vulkan,cpu). To use CUDA here, build node-llama-cpp for this machine once (\`npm exec --prefix ${findPackageRoot()} -- node-llama-cpp source build --gpu cuda\`; it needs cmake and the CUDA toolkit, and takes minutes): the next mallex uses it. Its log: ${serverLogPath(h.home)} (\`mallex server logs\`).`,
    );
    expect(h.events.some((e) => e.type === "progress" && e.message === "embedded--q.gguf starts on Vulkan")).toBe(true);
    expect((await chat(baseUrl)).status).toBe(200);
  });

  it("every GPU binary aborts: one start per step, down to the CPU, and no more (never a loop)", async () => {
    const h = start(engineCommand("--fake-gpus cuda,vulkan --fake-local-builds vulkan --fake-broken cuda:prebuilt,vulkan:local"), { key: "embedded--q.gguf" });
    const baseUrl = await h.supervisor.ensureReady();
    const commands = startsOf(h);
    // No source build for CUDA: that step is passed over inside the second start, without a restart of its own.
    expect(commands.map((c) => flagOf(c, "--gpu-backends") ?? `--gpu-layers ${flagOf(c, "--gpu-layers") ?? "auto"}`)).toEqual([
      "--gpu-layers auto",
      "cuda:local,vulkan,cpu",
      "--gpu-layers 0",
    ]);
    const crashed = h.events.filter((e) => e.type === "crashed") as Array<{ message: string }>;
    expect(crashed.map((e) => /\(([^)]*)\)/.exec(e.message)?.[1])).toEqual([
      "CUDA error: the provided PTX was compiled with an unsupported toolchain",
      "vk::DeviceLostError'",
    ]);
    // A source build that fails is not offered again.
    expect(crashed[1]!.message).toMatch(/: mallex restarts it on the CPU \(--gpu-layers 0\)\. Its log: /);
    expect(h.events.some((e) => e.type === "progress" && e.message === "embedded--q.gguf starts on the CPU")).toBe(true);
    expect((await chat(baseUrl)).status).toBe(200);
  });
});

describeWithShared("createSupervisor: the real engine after a GPU fallback plans its context again (needs npm run build)", () => {
  const GPU_ENGINE = fileURLToPath(new URL("./fakes/gpu-engine/mallex.js", import.meta.url));
  const STORIES = sharedPath("models", "stories260K-chatml.gguf");

  it("the CPU engine holds what fits there, up to the planned context, and the proxy's facts and prompt budget follow it", async () => {
    // A context planned for the GPU (8192 here) that the CPU cannot hold: stories260K was trained on
    // 2048, which bounds node-llama-cpp's plan as free RAM would on a machine with less of it.
    const command = `${quote(process.execPath)} ${quote(GPU_ENGINE)} engine --model {model} --host {host} --port {port} --threads 1 --ctx-size 8192 --fake-gpus cuda --fake-broken cuda:prebuilt --real-engine`;
    const h = start(command, { key: "embedded--stories", model: STORIES, plannedContext: true, readiness: { probe: "generate", timeoutMs: 60_000 } });
    const baseUrl = await h.supervisor.ensureReady();
    const commands = h.events.filter((e) => e.type === "starting").map((e) => (e as { command: string }).command);
    expect(commands[1]).toMatch(/--gpu-backends cuda:local,vulkan,cpu --max-ctx-size 8192$/);
    // The real engine passed over what this machine lacks and said where it runs.
    const log = readFileSync(serverLogPath(h.home), "utf8");
    expect(log).toMatch(/mallex engine: passed over a local source build of node-llama-cpp for CUDA: /);
    expect(log).toContain("mallex engine: llama.cpp backend: cpu");

    const table = {
      profiles: { local: { name: "local", backend: "embedded", model: STORIES, maxOutputTokens: 4096, contextWindow: 8192, inputBudget: 6144 } },
      backends: { embedded: { kind: "openai", flavor: "embedded" } },
    } as unknown as RoutingTable;
    const lines: string[] = [];
    const ctx = {
      table,
      backends: { embedded: { name: "embedded", kind: "openai", flavor: "embedded", headers: {}, supervised: true } },
      log: (line: string) => lines.push(line),
    } as unknown as ServerContext;
    const learning = learnServerFacts(ctx, discoverServerFacts);
    await learning.learnServed(table.profiles.local!, baseUrl);
    expect(ctx.serverFacts?.get("embedded")).toMatchObject({ contextWindow: 2048, parallel: 1, source: "mallex engine GET /props" });
    expect(ctx.table.profiles.local).toMatchObject({ contextWindow: 2048, inputBudget: 1536, maxOutputTokens: 2048 });
    expect(lines).toEqual(["profile local: context_window 8192 lowered to 2048 tokens, what its server holds (mallex engine GET /props); prompt budget 1536"]);
  }, 90_000);
});

describe("createSupervisor: two mallex on one MALLEX_HOME, same key", () => {
  /** Another mallex's pid for the second supervisor: a live process of its own (so it is no orphan's owner). */
  function otherMallex(): number {
    const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
    pids.add(child.pid!);
    return child.pid!;
  }

  it("each keeps its own pidfile; neither reaps the other's server; a crash of one's server is restarted (not taken for `mallex server stop`); stopping one leaves the other's", async () => {
    const home = newHome();
    const first = start(fakeCommand(""), {}, {}, home);
    await first.supervisor.ensureReady();
    const firstPid = first.supervisor.pid!;
    const otherPid = otherMallex();
    await until(() => alive(otherPid));
    const second = start(fakeCommand(""), {}, { deps: { mallexPid: otherPid } }, home);
    await second.supervisor.ensureReady();
    const secondPid = second.supervisor.pid!;
    expect(secondPid).not.toBe(firstPid);
    expect(alive(firstPid)).toBe(true);
    expect(
      pidfilesOf(home, "mlx--test")
        .map((entry) => [entry.record.pid, entry.record.mallexPid])
        .sort(),
    ).toEqual(
      [
        [firstPid, process.pid],
        [secondPid, otherPid],
      ].sort(),
    );
    expect(second.events.filter((e) => e.type === "progress" && e.message.includes("left running by"))).toEqual([]); // the first's server is no orphan

    process.kill(firstPid, "SIGKILL");
    expect(await first.waitFor((e) => e.type === "crashed")).toMatchObject({ type: "crashed" });
    await until(() => first.events.filter((e) => e.type === "ready").length === 2, 10_000);
    expect(types(first)).not.toContain("unloaded");
    expect(alive(secondPid)).toBe(true);
    expect(pidfilesOf(home, "mlx--test")).toHaveLength(2);

    const restarted = first.supervisor.pid!;
    await second.supervisor.stop();
    expect(alive(secondPid)).toBe(false);
    expect(alive(restarted)).toBe(true);
    expect(pidfilesOf(home, "mlx--test").map((entry) => entry.record.pid)).toEqual([restarted]);
    expect((await chat(first.supervisor.baseUrl!)).status).toBe(200);
  });
});
