/**
 * A supervised mlx-lm backend served across several Macs: mallex runs the fake mlx.launch
 * (test/fakes/fake-mlx-launch.js, mlx.launch's options and hostfile checks) around the fake
 * mlx_lm.server, which it runs as rank 0. The command line, readiness by a 1-token generation, a
 * request answered through mallex, stop leaving no process, and a bad hostfile failing the start.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { resolveBackends } from "../src/backends/resolve-backends.js";
import type { RoutingTable } from "../src/compile/routing-table.js";
import type { SupervisorPool } from "../src/backends/supervisor-pool.js";
import { SupervisorError } from "../src/supervisor/supervisor-error.js";
import type { SupervisorEvent } from "../src/supervisor/types.js";
import { compiledPool } from "./helpers/compiled-pool.js";
import { writeTree } from "./helpers/config-tree.js";
import { createProcessCleanup } from "./helpers/process-cleanup.js";
import { childrenMatching, eventually, liveGroupMembers } from "./helpers/process-tree.js";
import { createTestProxy } from "./helpers/test-proxy.js";

const LAUNCH = fileURLToPath(new URL("./fakes/fake-mlx-launch.js", import.meta.url));
const SERVER = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
const MODEL = "mlx-community/Kimi-K2-Instruct-4bit";
const HOSTS = [
  { ssh: "127.0.0.1", ips: ["127.0.0.1"] },
  { ssh: "studio-2", ips: ["10.0.0.2"] },
];

const processes = createProcessCleanup("mallex-distributed-");
afterEach(() => processes.cleanup());

interface Cluster {
  table: RoutingTable;
  pool: SupervisorPool;
  events: SupervisorEvent[];
  /** max_tokens of every request the fake server answered, in order. */
  maxTokens(): number[];
  hostfile: string;
}

/** A config whose backend runs distributed through the fake launcher; `hostfile` is written unless undefined. */
function cluster(options: { hostfile?: string; distributed?: string }): Cluster {
  const record = `${processes.home()}/requests.log`;
  writeFileSync(record, "");
  const dir = writeTree({
    "respond.mjs": `import { appendFileSync } from "node:fs";\nexport default (request) => { appendFileSync(${JSON.stringify(record)}, request.body.max_tokens + "\\n"); return undefined; };\n`,
    ...(options.hostfile === undefined ? {} : { "hosts.json": options.hostfile }),
  });
  writeFileSync(
    join(dir, "mallex.yaml"),
    `backends:
  cluster:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: ${JSON.stringify(`'${process.execPath}' '${SERVER}' --model {model} --host {host} --port {port} --respond '${join(dir, "respond.mjs")}'`)}
      venv: false
      max_restarts: 0
      distributed: { hostfile: hosts.json, launcher: ${JSON.stringify(`'${process.execPath}' '${LAUNCH}'`)}${options.distributed ?? ""} }
profiles:
  big: { backend: cluster, model: ${MODEL}, size: large }
tiers:
  medium: { profile: big }
`,
  );
  const { table, pool, events, dir: treeDir } = compiledPool(dir, processes, 3000);
  return {
    table,
    pool,
    events,
    hostfile: join(treeDir, "hosts.json"),
    maxTokens: () => readFileSync(record, "utf8").split("\n").filter(Boolean).map(Number),
  };
}

describe("mlx distributed, supervised", () => {
  it("mallex starts mlx.launch with the hostfile, backend and --pipeline, is ready after a 1-token generation, answers through mallex, and stop leaves no process", async () => {
    const c = cluster({ hostfile: JSON.stringify(HOSTS), distributed: ", backend: ring, pipeline: true" });
    const proxy = createTestProxy({ table: c.table, ctx: { supervisors: c.pool, backends: resolveBackends(c.table, {}, { supervised: c.pool.backends }) } });

    const response = await proxy.post("/v1/messages", {
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: "hello from several Macs" }],
    });
    expect(response.status, await response.clone().text()).toBe(200);
    const message = (await response.json()) as { content: Array<{ type: string; text?: string }> };
    expect(message.content).toEqual([{ type: "text", text: "hello from several Macs" }]);

    const starting = c.events.find((e): e is Extract<SupervisorEvent, { type: "starting" }> => e.type === "starting")!;
    expect(starting.command).toBe(
      `${process.execPath} ${LAUNCH} --hostfile ${c.hostfile} --backend ring -- ${process.execPath} ${SERVER} --model ${MODEL} --host 127.0.0.1 --port ${starting.port} --respond ${join(c.hostfile, "..", "respond.mjs")} --pipeline`,
    );
    const ready = c.events.find((e): e is Extract<SupervisorEvent, { type: "ready" }> => e.type === "ready")!;
    expect(ready.baseUrl).toBe(`http://127.0.0.1:${starting.port}/v1`);
    // Readiness was a real generation of one token, before the client's request.
    expect(c.maxTokens()).toEqual([1, 64]);

    const supervisor = c.pool.all()[0]!;
    const launcher = supervisor.pid!;
    const [rank0] = childrenMatching(launcher, SERVER);
    expect(rank0).toBeDefined();
    expect(liveGroupMembers(launcher).sort()).toEqual([launcher, rank0].sort());
    await supervisor.stop();
    await eventually("the launcher and rank 0 are gone", () => liveGroupMembers(launcher).length === 0, 5000);
    expect(supervisor.state).toBe("stopped");
  });

  it("rank 0 on another machine (rank0_host): its server listens on 0.0.0.0 and mallex probes and calls it at that host", async (context) => {
    // This machine's own non-loopback address stands in for the other Mac.
    const address = Object.values(networkInterfaces())
      .flat()
      .find((i) => i?.family === "IPv4" && !i.internal)?.address;
    if (address === undefined) return context.skip("no non-loopback IPv4 address on this machine");
    const c = cluster({ hostfile: JSON.stringify([{ ssh: "127.0.0.1", ips: [address] }]), distributed: `, rank0_host: "${address}"` });
    const baseUrl = await c.pool.for(c.table.profiles.big!).ensureReady();
    const starting = c.events.find((e): e is Extract<SupervisorEvent, { type: "starting" }> => e.type === "starting")!;
    expect(starting.command).toContain(`--model ${MODEL} --host 0.0.0.0 --port ${starting.port} `);
    expect(baseUrl).toBe(`http://${address}:${starting.port}/v1`);
    expect(c.maxTokens()).toEqual([1]);
  });

  it("a hostfile that is missing, not JSON, or without the ring's IPs fails the start with mlx.launch's own message", async () => {
    const cases: Array<[string | undefined, (path: string) => string]> = [
      [undefined, (path) => `Hostfile ${path} doesn't exist`],
      ['[{"ssh": "127.0.0.1",', (path) => `Failed to parse hostfile ${path} (`],
      [JSON.stringify([{ ssh: "127.0.0.1" }, { ssh: "studio-2" }]), () => "The ring backend requires IPs to be provided instead of hostnames"],
    ];
    for (const [hostfile, expected] of cases) {
      const c = cluster({ hostfile });
      const supervisor = c.pool.for(c.table.profiles.big!);
      const error = await supervisor.ensureReady().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SupervisorError);
      expect((error as Error).message).toContain(`mlx.launch: error: ${expected(c.hostfile)}`);
      expect((error as Error).message).toMatch(/^The model server cluster--\S+ exited while starting \(code 2 \(bad arguments\)\): mlx\.launch: error: /);
      expect(c.maxTokens()).toEqual([]);
    }
  });
});
