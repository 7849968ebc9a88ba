import { describe, expect, it } from "vitest";
import { BackendQueueFullError, createBackendQueues } from "../../src/server/backend-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("createBackendQueues", () => {
  it("lets maxInFlight through at once, queues the next ones in order, and hands each released slot to the oldest waiter", async () => {
    const queues = createBackendQueues({ maxInFlight: 2, maxWaiting: 5 });
    const first = await queues.acquire("mlx");
    const second = await queues.acquire("mlx");
    const order: string[] = [];
    const third = queues.acquire("mlx").then((release) => (order.push("third"), release));
    const fourth = queues.acquire("mlx").then((release) => (order.push("fourth"), release));
    await tick();
    expect(order).toEqual([]);
    expect(queues.stats("mlx")).toEqual({ inFlight: 2, waiting: 2 });
    first();
    first(); // a second call gives nothing back twice
    await tick();
    expect(order).toEqual(["third"]);
    expect(queues.stats("mlx")).toEqual({ inFlight: 2, waiting: 1 });
    second();
    await tick();
    expect(order).toEqual(["third", "fourth"]);
    (await third)();
    (await fourth)();
    expect(queues.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("refuses at once, with a sentence naming the settings, when maxWaiting already wait", async () => {
    const queues = createBackendQueues({ maxInFlight: 1, maxWaiting: 1 });
    await queues.acquire("mlx");
    void queues.acquire("mlx");
    const refused = await queues.acquire("mlx").catch((error: unknown) => error);
    expect(BackendQueueFullError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/Backend mlx is busy: .*server\.max_waiting_per_backend/);
  });

  it("keeps one queue per backend", async () => {
    const queues = createBackendQueues({ maxInFlight: 1, maxWaiting: 0 });
    await queues.acquire("mlx");
    await expect(queues.acquire("llama")).resolves.toBeTypeOf("function");
    await expect(queues.acquire("mlx")).rejects.toSatisfy(BackendQueueFullError.isInstance);
  });

  it("takes a waiting request whose client goes away out of the queue", async () => {
    const queues = createBackendQueues({ maxInFlight: 1, maxWaiting: 1 });
    const held = await queues.acquire("mlx");
    const client = new AbortController();
    const waiting = queues.acquire("mlx", client.signal);
    expect(queues.stats("mlx").waiting).toBe(1);
    client.abort(new Error("client disconnected"));
    await expect(waiting).rejects.toThrow("client disconnected");
    expect(queues.stats("mlx")).toEqual({ inFlight: 1, waiting: 0 });
    // Its place is free again, and the slot is not handed to the request that left.
    const next = queues.acquire("mlx");
    held();
    (await next)();
    expect(queues.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
    await expect(queues.acquire("mlx", AbortSignal.abort(new Error("gone")))).rejects.toThrow("gone");
  });
});
