// A worker thread for the benchmarks: the fake mlx-lm.server (role "backend") on its own event loop,
// as it is a separate process in real use. The parent sends { id, type, ... } and gets
// { id, ok, value | error } back.
import { parentPort, workerData } from "node:worker_threads";

if (parentPort === null) throw new Error("bench/proxy-worker.js runs as a worker thread (bench/proxy.js starts it)");
const parent = parentPort;
const { role } = workerData;
if (role !== "backend") throw new Error(`bench/proxy-worker.js has no role "${role}"`);
const handlers = await startBackend();

parent.on("message", async ({ id, type, ...args }) => {
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`the ${role} worker has no "${type}" command`);
    parent.postMessage({ id, ok: true, value: await handler(args) });
  } catch (error) {
    parent.postMessage({ id, ok: false, error: /** @type {Error | undefined} */ (error)?.stack ?? String(error) });
  }
});
parent.postMessage({ ready: true, ...(await handlers.info()) });

/** The fake backend; its answer is set by the parent ("script"). */
async function startBackend() {
  const { createFakeMlxServer } = await import("../test/fakes/mlx-lm-server.js");
  let script = { text: ["4"] };
  const fake = await createFakeMlxServer({ respond: () => script });
  return {
    info: () => ({ url: fake.url }),
    script: ({ value }) => void (script = value),
    /** The body of the latest generation request, exactly as the fake parsed it. */
    lastPost: () => fake.requests.findLast((record) => record.method === "POST")?.body,
    /** Its size on the wire (its Content-Length). */
    lastPostBytes: () => Number(fake.requests.findLast((record) => record.method === "POST")?.headers["content-length"]),
    /** The latest requests it closed without an answer, as mlx-lm.server does on a bad one, with the Python exception. */
    dropped: () =>
      fake.requests
        .filter((record) => record.dropped !== undefined)
        .slice(-5)
        .map((record) => `${record.method} ${record.path}: ${record.dropped}`),
    close: () => fake.close(),
  };
}
