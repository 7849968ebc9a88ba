// A worker thread for bench/proxy.js: the fake mlx-lm.server (role "backend") or mallex itself
// (role "mallex"), each on its own event loop, as they are separate processes in real use. The
// parent sends { id, type, ... } and gets { id, ok, value | error } back.
import { join } from "node:path";
import { parentPort, workerData } from "node:worker_threads";

const { role } = workerData;
const handlers = role === "backend" ? await startBackend() : await startMallex();

parentPort.on("message", async ({ id, type, ...args }) => {
  try {
    const handler = handlers[type];
    if (!handler) throw new Error(`the ${role} worker has no "${type}" command`);
    parentPort.postMessage({ id, ok: true, value: await handler(args) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: error?.stack ?? String(error) });
  }
});
parentPort.postMessage({ ready: true, ...(await handlers.info()) });

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
    close: () => fake.close(),
  };
}

/** What `mallex proxy` does: the routing table (already compiled by the parent), the validator, startProxy. */
async function startMallex() {
  const { ensureCompiled } = await import("../dist/src/compile/ensure-compiled.js");
  const { loadValidator } = await import("../dist/src/load-validator.js");
  const { startProxy } = await import("../dist/src/server/start-proxy.js");
  const { loadTemplates } = await import("../dist/src/templates/load-templates.js");
  const { root, home, backendUrl } = workerData;
  const compiled = await ensureCompiled({ configPath: join(root, "mallex.yaml"), outDir: join(home, "generated"), cwd: root, env: {}, packageRoot: root });
  const proxy = await startProxy({
    table: compiled.table,
    templates: await loadTemplates(join(home, "generated")),
    validateMessages: await loadValidator(root, "validate-messages"),
    env: {},
    mallexHome: join(home, "home"),
    port: 0,
    backendUrl,
    print: () => {},
  });
  return {
    info: () => ({ url: proxy.url }),
    close: () => proxy.close(),
  };
}
