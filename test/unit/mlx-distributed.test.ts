import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { distributedCommand, parseHostfile } from "../../src/backends/mlx-distributed.js";
import { compileDistributed, resolveHostfilePath } from "../../src/compile/compile-distributed.js";
import type { CompiledDistributed } from "../../src/compile/routing-table.js";
import { createSupervisorPool, supervisedSpec } from "../../src/backends/supervisor-pool.js";
import { buildServerArgv } from "../../src/supervisor/server-command.js";
import { compileTree } from "../helpers/config-tree.js";

const base = { configDir: "/work/cfg", home: "/Users/me" };
const SERVER = "{venv}/bin/mlx_lm.server --model {model} --host {host} --port {port}";

const config = (distributed: string, extra = "") => `backends:
  cluster:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: "${SERVER}"
      venv: true
      distributed: ${distributed}
profiles:
  big: { backend: cluster, model: mlx-community/Kimi-K2-4bit, size: large${extra} }
tiers:
  medium: { profile: big }
`;

describe("the distributed: block compiled", () => {
  it("resolves the hostfile against the config's folder and ~, and applies the defaults", () => {
    expect(resolveHostfilePath("hosts.json", base)).toBe("/work/cfg/hosts.json");
    expect(resolveHostfilePath("~/mlx/hosts.json", base)).toBe("/Users/me/mlx/hosts.json");
    expect(resolveHostfilePath("/etc/hosts.json", base)).toBe("/etc/hosts.json");
    expect(compileDistributed({ hostfile: "h.json" }, true, base)).toEqual({
      hostfile: "/work/cfg/h.json",
      backend: "ring",
      pipeline: false,
      launcher: "{venv}/bin/mlx.launch",
    });
    expect(compileDistributed({ hostfile: "h.json", backend: "jaccl", pipeline: true, rank0_host: "studio.local" }, undefined, base)).toEqual({
      hostfile: "/work/cfg/h.json",
      backend: "jaccl",
      pipeline: true,
      launcher: "mlx.launch",
      rank0Host: "studio.local",
    });
  });

  it("mallex compile puts it in the routing table, the hostfile absolute", () => {
    const result = compileTree({ "mallex.yaml": config("{ hostfile: hosts.json, pipeline: true }") });
    expect(result.lines).toEqual([]);
    expect(result.table!.backends.cluster!.supervise!.distributed).toEqual({
      hostfile: join(result.dir, "hosts.json"),
      backend: "ring",
      pipeline: true,
      launcher: "{venv}/bin/mlx.launch",
    });
  });

  it("a hostfile declared in an included file is relative to that file", () => {
    const [backends, rest] = config("{ hostfile: hosts.json }").split("profiles:\n");
    const result = compileTree({ "mallex.yaml": `include: [./cluster/backends.yaml]\nprofiles:\n${rest}`, "cluster/backends.yaml": backends! });
    expect(result.lines).toEqual([]);
    expect(result.table!.backends.cluster!.supervise!.distributed!.hostfile).toBe(join(result.dir, "cluster", "hosts.json"));
  });

  it("compile refuses an unknown mlx.launch backend, a non-mlx-lm flavor, and a draft model (mlx-lm refuses it distributed)", () => {
    expect(compileTree({ "mallex.yaml": config("{ hostfile: hosts.json, backend: mpi }") }).lines.join("\n")).toMatch(/backend.*ring, jaccl/);
    const flavor = compileTree({ "mallex.yaml": config("{ hostfile: hosts.json }").replace("flavor: mlx-lm", "flavor: llama-server") });
    expect(flavor.diagnostics.map((d) => d.code)).toEqual(["backend-distributed-flavor"]);
    expect(flavor.lines[0]).toMatch(/backend "cluster" runs distributed through mlx.launch, which serves mlx-lm only, but its flavor is llama-server/);
    const draft = compileTree({ "mallex.yaml": config("{ hostfile: hosts.json }", ", draft_model: mlx-community/small-4bit") });
    expect(draft.diagnostics.map((d) => d.code)).toEqual(["profile-distributed-draft"]);
    expect(draft.lines[0]).toMatch(/profile "big" has a draft model, but its backend "cluster" runs mlx-lm distributed, which refuses draft models/);
  });
});

describe("distributedCommand", () => {
  const local: CompiledDistributed = { hostfile: "/etc/mlx/hosts.json", backend: "ring", pipeline: false, launcher: "{venv}/bin/mlx.launch" };

  it("wraps the server command after mlx.launch's --hostfile, --backend and --", () => {
    expect(distributedCommand(SERVER, local)).toEqual({ command: `{venv}/bin/mlx.launch --hostfile /etc/mlx/hosts.json --backend ring -- ${SERVER}` });
    expect(distributedCommand(SERVER, { ...local, backend: "jaccl", pipeline: true }).command).toBe(
      `{venv}/bin/mlx.launch --hostfile /etc/mlx/hosts.json --backend jaccl -- ${SERVER} --pipeline`,
    );
  });

  it("rank 0 on another machine: the server listens on 0.0.0.0 and is reached at rank0_host; a loopback rank0_host changes nothing", () => {
    const remote = distributedCommand(SERVER, { ...local, rank0Host: "studio.local" });
    expect(remote.reachHost).toBe("studio.local");
    expect(remote.command).toContain("--host 0.0.0.0 --port {port}");
    expect(distributedCommand(SERVER, { ...local, rank0Host: "localhost" })).toEqual(distributedCommand(SERVER, local));
  });

  it("a hostfile path with spaces and quotes stays one word for the supervisor", () => {
    const { command } = distributedCommand(SERVER, { ...local, hostfile: "/Users/me/My Macs/it's.json" });
    const argv = buildServerArgv(command, { port: 9000, model: "m", host: "127.0.0.1", venv: "/v" });
    expect(argv.slice(0, 6)).toEqual(["/v/bin/mlx.launch", "--hostfile", "/Users/me/My Macs/it's.json", "--backend", "ring", "--"]);
    expect(argv.slice(6)).toEqual(["/v/bin/mlx_lm.server", "--model", "m", "--host", "127.0.0.1", "--port", "9000"]);
  });
});

describe("supervisedSpec of a distributed backend", () => {
  it("runs mlx.launch around the mlx-lm command (with the profile's chat template args), reached where rank 0 serves", () => {
    const dir = compileTree({
      "mallex.yaml": config("{ hostfile: hosts.json, pipeline: true, rank0_host: 10.0.0.2 }", ", chat_template_args: { enable_thinking: false }"),
    });
    expect(dir.lines).toEqual([]);
    const table = dir.table!;
    const spec = supervisedSpec(table.profiles.big!, table.backends.cluster!, {});
    expect(spec.command).toBe(
      `{venv}/bin/mlx.launch --hostfile ${join(dir.dir, "hosts.json")} --backend ring -- {venv}/bin/mlx_lm.server --model {model} --host 0.0.0.0 --port {port} --chat-template-args '{"enable_thinking":false}' --pipeline`,
    );
    expect(spec).toMatchObject({ reachHost: "10.0.0.2", venv: true, readiness: { probe: "generate" }, model: "mlx-community/Kimi-K2-4bit" });
    // --server-command replaces the whole command: nothing is wrapped.
    expect(
      createSupervisorPool(table, { serverCommand: "mlx_lm.server --port {port}", create: (s) => ({ spec: s }) as never }).for(table.profiles.big!).spec
        .command,
    ).toBe("mlx_lm.server --port {port}");
  });
});

describe("the memory budget", () => {
  it("does not guard a distributed server (its model is spread over several Macs), as it guards one on this Mac", () => {
    const yaml = config("{ hostfile: hosts.json }", ", params_b: 1000").replace(
      "profiles:",
      '  single:\n    kind: openai\n    flavor: mlx-lm\n    supervise: { command: "mlx_lm.server --model {model} --port {port}" }\nprofiles:\n  small: { backend: single, model: m, size: small }',
    );
    const tree = compileTree({ "mallex.yaml": `${yaml}  low: { profile: small }\nrouting: { models: [{ match: "*haiku*", tier: low }] }\n` });
    expect(tree.lines).toEqual([]);
    const registered: string[] = [];
    const sizes = {
      register: (key: string) => void registered.push(key),
      of: () => ({ bytes: 600 * 1024 ** 3, source: "params_b" }),
      measure: async () => undefined,
    };
    const created: unknown[] = [];
    const pool = createSupervisorPool(tree.table!, {
      memory: { totalBytes: 64 * 1024 ** 3, sizes, note: () => {} },
      create: (spec) => {
        const supervisor = { spec } as never;
        created.push(supervisor);
        return supervisor;
      },
    });
    expect(pool.for(tree.table!.profiles.big!)).toBe(created[0]);
    expect(pool.for(tree.table!.profiles.small!)).not.toBe(created[1]);
    expect(registered).toEqual(["single--m"]);
  });
});

describe("parseHostfile", () => {
  const path = "/h.json";
  it("reads mlx.launch's two shapes: a list of hosts, or {backend, envs, hosts}", () => {
    expect(parseHostfile('[{"ssh": "a", "ips": ["10.0.0.1"]}, {"ssh": "b", "ips": ["10.0.0.2"]}]', path, "ring")).toEqual({
      ok: true,
      hosts: [
        { ssh: "a", ips: ["10.0.0.1"] },
        { ssh: "b", ips: ["10.0.0.2"] },
      ],
    });
    const object =
      '{"backend": "jaccl", "envs": ["MLX_METAL_FAST_SYNCH=1"], "hosts": [{"ssh": "a", "ips": ["10.0.0.1"], "rdma": [null, "rdma_en3"]}, {"ssh": "b", "rdma": ["rdma_en3", null]}]}';
    expect(parseHostfile(object, path, "jaccl")).toEqual({
      ok: true,
      backend: "jaccl",
      hosts: [
        { ssh: "a", ips: ["10.0.0.1"] },
        { ssh: "b", ips: [] },
      ],
    });
  });

  it("says what mlx.launch would refuse, naming the file", () => {
    expect(parseHostfile("{", path, "ring")).toMatchObject({ ok: false, message: expect.stringMatching(/^the hostfile \/h.json is not valid JSON \(/) });
    expect(parseHostfile("[]", path, "ring")).toMatchObject({ ok: false, message: expect.stringContaining("the hostfile /h.json lists no hosts") });
    expect(parseHostfile('[{"ips": ["1.2.3.4"]}]', path, "ring")).toEqual({ ok: false, message: 'host 0 of the hostfile /h.json has no "ssh" name' });
    expect(parseHostfile('[{"ssh": "a", "ips": ["1.2.3.4"]}, {"ssh": "b"}]', path, "ring")).toEqual({
      ok: false,
      message: 'the ring backend needs "ips" for every host of /h.json, and b has none',
    });
    expect(parseHostfile('[{"ssh": "a"}, {"ssh": "b", "ips": ["1.2.3.4"]}]', path, "jaccl")).toEqual({
      ok: false,
      message: 'jaccl needs rank 0 (a) to have "ips" in /h.json, reachable from every other host',
    });
  });
});
