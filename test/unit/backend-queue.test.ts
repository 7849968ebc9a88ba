import { describe, expect, it } from "vitest";
import { BackendQueueFullError, createBackendQueues, type BackendQueueLimits } from "../../src/backends/backend-queue.js";

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));
const fixed = (limits: BackendQueueLimits) => () => limits;

describe("createBackendQueues", () => {
  it("lets maxInFlight through at once, queues the next ones in order, and hands each released slot to the oldest waiter", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 2, maxWaiting: 5 }));
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

  it("refuses at once, with a sentence naming the limits, where they came from and the settings, when maxWaiting already wait", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 1 }));
    await queues.acquire("mlx");
    void queues.acquire("mlx");
    const refused = await queues.acquire("mlx").catch((error: unknown) => error);
    expect(BackendQueueFullError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/Backend mlx is busy: .*server\.max_waiting_per_backend/);

    const learned = createBackendQueues(
      fixed({ maxInFlight: 4, maxWaiting: 16, source: "server: llama-server GET /props", waitingSource: "4 × in flight, at least 16" }),
    );
    for (let i = 0; i < 4; i++) await learned.acquire("llama");
    for (let i = 0; i < 16; i++) void learned.acquire("llama");
    const full = (await learned.acquire("llama").catch((error: unknown) => error)) as Error;
    expect(full.message).toBe(
      "Backend llama is busy: it serves 4 request(s) at a time (server: llama-server GET /props; server.max_in_flight_per_backend sets it) " +
        "and 16 more are already waiting (4 × in flight, at least 16; server.max_waiting_per_backend sets it). Retry when one finishes.",
    );
    const set = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 0, source: "set", waitingSource: "set" }));
    await set.acquire("mlx");
    await expect(set.acquire("mlx")).rejects.toThrow(
      "(set by server.max_in_flight_per_backend) and 0 more are already waiting (set by server.max_waiting_per_backend)",
    );
  });

  it("keeps one queue per backend", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 0 }));
    await queues.acquire("mlx");
    await expect(queues.acquire("llama")).resolves.toBeTypeOf("function");
    await expect(queues.acquire("mlx")).rejects.toSatisfy(BackendQueueFullError.isInstance);
  });

  it("takes a waiting request whose client goes away out of the queue", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 1 }));
    const held = await queues.acquire("mlx");
    const client = new AbortController();
    const waiting = queues.acquire("mlx", { signal: client.signal, session: "a" });
    expect(queues.stats("mlx").waiting).toBe(1);
    client.abort(new Error("client disconnected"));
    await expect(waiting).rejects.toThrow("client disconnected");
    expect(queues.stats("mlx")).toEqual({ inFlight: 1, waiting: 0 });
    // Its place is free again, and the slot is not handed to the request that left.
    const next = queues.acquire("mlx", { session: "a" });
    held();
    (await next)();
    expect(queues.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
    await expect(queues.acquire("mlx", { signal: AbortSignal.abort(new Error("gone")) })).rejects.toThrow("gone");
  });

  it("past the limit, the sessions waiting take turns (round-robin) and each session's requests keep their order", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 16 }));
    const held = await queues.acquire("mlx", { session: "agent" });
    const served: string[] = [];
    // Each is served, then done: its slot goes to the next turn.
    const ask = (session: string, name: string) => queues.acquire("mlx", { session }).then((release) => (served.push(name), release()));
    // One agent's burst of subagents arrives first; another client's two requests after it.
    const waiting = [
      ask("agent", "a1"),
      ask("agent", "a2"),
      ask("agent", "a3"),
      ask("agent", "a4"),
      ask("other", "b1"),
      ask("other", "b2"),
      ask("third", "c1"),
    ];
    expect(queues.stats("mlx")).toEqual({ inFlight: 1, waiting: 7 });
    held();
    await Promise.all(waiting);
    expect(served).toEqual(["a1", "b1", "c1", "a2", "b2", "a3", "a4"]);
    expect(queues.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
  });

  it("asks for a session given as a function only when the request has to wait", async () => {
    const queues = createBackendQueues(fixed({ maxInFlight: 1, maxWaiting: 4 }));
    const asked: string[] = [];
    const session = (name: string) => () => (asked.push(name), name);
    const first = await queues.acquire("mlx", { session: session("a") });
    expect(asked).toEqual([]);
    const second = queues.acquire("mlx", { session: session("b") });
    expect(asked).toEqual(["b"]);
    first();
    (await second)();
  });

  it("reads the limits at every acquire and release: a raised limit lets the waiters in, a lowered one takes effect as requests end", async () => {
    let limits: BackendQueueLimits = { maxInFlight: 1, maxWaiting: 4 };
    const queues = createBackendQueues((backend) => (backend === "mlx" ? limits : { maxInFlight: 1, maxWaiting: 0 }));
    const first = await queues.acquire("mlx", { session: "a" });
    const granted: string[] = [];
    const second = queues.acquire("mlx", { session: "a" }).then((release) => (granted.push("second"), release));
    const third = queues.acquire("mlx", { session: "b" }).then((release) => (granted.push("third"), release));
    await tick();
    expect(queues.stats("mlx")).toEqual({ inFlight: 1, waiting: 2 });
    // The server's facts arrive: it runs 4 at once. The next acquire lets the waiters in first, in their turns.
    limits = { maxInFlight: 4, maxWaiting: 16 };
    const fourth = await queues.acquire("mlx", { session: "c" });
    await tick();
    expect(granted).toEqual(["second", "third"]);
    expect(queues.stats("mlx")).toEqual({ inFlight: 4, waiting: 0 });
    // It restarts with 2 slots: nothing is taken back, but no new request goes in until fewer than 2 are in flight.
    limits = { maxInFlight: 2, maxWaiting: 16 };
    const fifth = queues.acquire("mlx", { session: "d" });
    first();
    (await second)();
    await tick();
    expect(queues.stats("mlx")).toEqual({ inFlight: 2, waiting: 1 });
    (await third)();
    (await fifth)();
    fourth();
    expect(queues.stats("mlx")).toEqual({ inFlight: 0, waiting: 0 });
  });
});
