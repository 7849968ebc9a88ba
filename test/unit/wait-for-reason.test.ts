/**
 * A server that refused the readiness test is stopped only once it has said why, exited, or had its
 * moment: mlx.launch relays a rank's error after rank 0 answered, and dies with it unrelayed when
 * stopped at once (the real distributed test on a loaded machine: a 404 with no reason quoted).
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
    fireAll: () => [...pending.values()].forEach(({ callback }) => callback()),
  };
}

const settled = async (promise: Promise<void>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};
const never = new Promise<void>(() => {});
const isReason = (line: string) => line.includes("Error");

describe("createReasonWait", () => {
  it("does not wait for a server that has already said why", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    expect(await settled(wait.until(["INFO - Starting httpd", "FileNotFoundError: model.safetensors.index.json"], isReason, never, 2000))).toBe(true);
    expect(timers.pending.size).toBe(0);
  });

  it("waits until a line says why, and no longer than that (its timer cleared)", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    const waiting = wait.until(["INFO - Loading model"], isReason, never, 2000);
    expect([...timers.pending.values()].map(({ ms }) => ms)).toEqual([2000]);
    wait.onLine("INFO - Starting httpd");
    expect(await settled(waiting)).toBe(false);
    wait.onLine("FileNotFoundError: [Errno 2] No such file or directory: 'model.safetensors.index.json'");
    expect(await settled(waiting)).toBe(true);
    expect(timers.pending.size).toBe(0);
    // Lines after the wait are nothing to it.
    wait.onLine("FileNotFoundError: again");
  });

  it("ends when the server exits by itself, or when its time is up", async () => {
    const timers = manualTimers();
    const wait = createReasonWait(timers.deps);
    let exit!: () => void;
    const exited = new Promise<void>((resolve) => (exit = resolve));
    const untilExit = wait.until([], () => false, exited, 2000);
    expect(await settled(untilExit)).toBe(false);
    exit();
    expect(await settled(untilExit)).toBe(true);
    expect(timers.pending.size).toBe(0);

    const untilTime = wait.until([], () => false, never, 2000);
    wait.onLine("INFO - still loading");
    expect(await settled(untilTime)).toBe(false);
    timers.fireAll();
    expect(await settled(untilTime)).toBe(true);
  });
});
