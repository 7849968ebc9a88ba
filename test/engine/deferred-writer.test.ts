import { describe, expect, it } from "vitest";
import { createDeferredWriter } from "../../src/engine/deferred-writer.js";

/** A scheduler the test runs by hand: what a timer would run later. */
function manualSchedule() {
  const queued: Array<() => void> = [];
  return {
    schedule(flush: () => void) {
      queued.push(flush);
      return () => {
        const at = queued.indexOf(flush);
        if (at >= 0) queued.splice(at, 1);
      };
    },
    run() {
      for (const flush of queued.splice(0)) flush();
    },
    get pending() {
      return queued.length;
    },
  };
}

describe("createDeferredWriter", () => {
  it("writes nothing when text is pushed, then everything pushed meanwhile in one write, in order", () => {
    const writes: string[] = [];
    const timer = manualSchedule();
    const writer = createDeferredWriter((text) => writes.push(text), timer);
    writer.push("data: a\n\n");
    writer.push("data: b\n\n");
    expect(writes).toEqual([]);
    expect(timer.pending).toBe(1);
    timer.run();
    expect(writes).toEqual(["data: a\n\ndata: b\n\n"]);
    writer.push("data: c\n\n");
    timer.run();
    expect(writes).toEqual(["data: a\n\ndata: b\n\n", "data: c\n\n"]);
  });

  it("flush writes at once and cancels the scheduled write; a flush with nothing queued writes nothing", () => {
    const writes: string[] = [];
    const timer = manualSchedule();
    const writer = createDeferredWriter((text) => writes.push(text), timer);
    writer.push("x");
    writer.flush();
    expect(writes).toEqual(["x"]);
    expect(timer.pending).toBe(0);
    writer.flush();
    expect(writes).toEqual(["x"]);
  });

  it("discard drops what is queued and writes nothing later", () => {
    const writes: string[] = [];
    const timer = manualSchedule();
    const writer = createDeferredWriter((text) => writes.push(text), timer);
    writer.push("x");
    writer.discard();
    timer.run();
    writer.flush();
    expect(writes).toEqual([]);
  });

  it("by default writes after the promise callbacks that dispatch the next decode, not when pushed", async () => {
    const order: string[] = [];
    const writer = createDeferredWriter((text) => order.push(text));
    writer.push("written");
    expect(order).toEqual([]);
    // node-llama-cpp dispatches the next decode in a promise callback after the token was handed out.
    void Promise.resolve().then(() => order.push("decode dispatched"));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(order).toEqual(["decode dispatched", "written"]);
  });
});
