/**
 * A server that refused the readiness test is stopped only once it has said why, exited, or had its
 * moment: mlx.launch relays a rank's error after rank 0 answered, and dies with it unrelayed when
 * stopped at once (the real distributed test on a loaded machine: a 404 with no reason quoted); and
 * not at its first error line, when the traceback naming the exception comes in a later piece (CI:
 * "generation thread died: …" quoted instead of "HFValidationError: …").
 */
import { describe, expect, it } from "vitest";
import { createReasonWait } from "../../src/supervisor/wait-for-reason.js";

/** Timers that fire only when told to. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  return {
    deps: {
      setTimeout: (callback: () => void, ms: number) => (pending.set(++next, { callback, ms }), next),
      clearTimeout: (handle: unknown) => void pending.delete(handle as number),
    },
    pending,
    waits: () => [...pending.values()].map(({ ms }) => ms),
    fire: (ms: number) => [...pending.values()].filter((timer) => timer.ms === ms).forEach(({ callback }) => callback()),
  };
}

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};
const never = new Promise<void>(() => {});
const isReason = (line: string) => /error/i.test(line);
const options = (exited: Promise<unknown> = never) => ({ saysWhy: isReason, exited, waitMs: 2000, quietMs: 300 });

describe("createReasonWait", () => {
  it("waits only for the rest of the record from a server that has already said why", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    const waiting = wait.until(["INFO - Starting httpd", "FileNotFoundError: model.safetensors.index.json"], options());
    expect(timers.waits()).toEqual([2000, 300]);
    expect(await settled(waiting)).toBe(false);
    timers.fire(300);
    expect(await settled(waiting)).toBe(true);
    expect(timers.pending.size).toBe(0);
  });

  it("waits until a line says why and the server falls quiet, each later line restarting the quiet", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    const waiting = wait.until(["INFO - Loading model"], options());
    expect(timers.waits()).toEqual([2000]);
    wait.onLine("INFO - Starting httpd");
    expect(timers.waits()).toEqual([2000]);
    wait.onLine("ERROR - mlx_lm.server generation thread died: Repo id must be in the form 'repo_name'");
    expect(timers.waits()).toEqual([2000, 300]);
    expect(await settled(waiting)).toBe(false);
    // The traceback's later piece: whatever it says, the quiet starts again (one timer, not two).
    wait.onLine('  File "/venv/lib/python3.11/site-packages/mlx_lm/server.py", line 544, in _run_generate');
    wait.onLine("huggingface_hub.errors.HFValidationError: Repo id must be in the form 'repo_name'");
    expect(timers.waits()).toEqual([2000, 300]);
    expect(await settled(waiting)).toBe(false);
    timers.fire(300);
    expect(await settled(waiting)).toBe(true);
    expect(timers.pending.size).toBe(0);
    // Lines after the wait are nothing to it.
    wait.onLine("FileNotFoundError: again");
    expect(timers.pending.size).toBe(0);
  });

  it("ends when the server exits by itself, or when its time is up, even while it still talks", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    let exit!: () => void;
    const exited = new Promise<void>((resolve) => (exit = resolve));
    const untilExit = wait.until([], options(exited));
    expect(await settled(untilExit)).toBe(false);
    exit();
    expect(await settled(untilExit)).toBe(true);
    expect(timers.pending.size).toBe(0);

    const untilTime = wait.until([], options());
    wait.onLine("INFO - still loading");
    wait.onLine("RuntimeError: one");
    expect(await settled(untilTime)).toBe(false);
    timers.fire(2000);
    expect(await settled(untilTime)).toBe(true);
    expect(timers.pending.size).toBe(0);
  });
});
