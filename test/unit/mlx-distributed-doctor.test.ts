/**
 * `mallex doctor` on a config with an mlx distributed backend: the hostfile, ssh to every host and
 * the mlx / mlx-lm versions each host's Python reports, with ssh and Python faked through the
 * doctor's `run` (no machine is contacted).
 */
import { join } from "node:path";
import { singleConfig } from "../../src/config/config-layers.js";
import { describe, expect, it } from "vitest";
import { checkDistributed } from "../../src/doctor/check-distributed.js";
import { formatCheck, runDoctor } from "../../src/doctor/run-doctor.js";
import type { DoctorContext, DoctorDeps } from "../../src/doctor/types.js";
import type { CommandResult } from "../../src/setup/run-command.js";
import { compileTree, packageRoot } from "../helpers/config-tree.js";

const MALLEX_HOME = "/Users/me/.mallex";
const PYTHON = `${MALLEX_HOME}/venv/bin/python`;
const HOSTS = JSON.stringify([
  { ssh: "studio-1", ips: ["10.0.0.1"] },
  { ssh: "studio-2", ips: ["10.0.0.2"] },
]);
const CONFIG = `backends:
  cluster:
    kind: openai
    flavor: mlx-lm
    supervise:
      command: "{venv}/bin/mlx_lm.server --model {model} --host {host} --port {port}"
      venv: true
      distributed: { hostfile: hosts.json, rank0_host: studio-1 }
profiles:
  big: { backend: cluster, model: mlx-community/Kimi-K2-4bit, size: large }
tiers:
  medium: { profile: big }
`;

const ok = (stdout: string): CommandResult => ({ ok: true, stdout, stderr: "", missing: false });
const failed = (stderr: string): CommandResult => ({ ok: false, stdout: "", stderr, missing: false });

interface Machines {
  /** The hostfile's text; undefined: no file. */
  hostfile?: string;
  /** ssh HOST true, per host (default ok). */
  ssh?: Record<string, CommandResult>;
  /** What each host's Python prints for the versions. */
  versions?: Record<string, CommandResult>;
}

function context(machines: Machines, config = CONFIG): { ctx: DoctorContext; hostfile: string; calls: string[][] } {
  const tree = compileTree({ "mallex.yaml": config });
  expect(tree.lines).toEqual([]);
  const hostfile = join(tree.dir, "hosts.json");
  const calls: string[][] = [];
  const deps = {
    mallexHome: MALLEX_HOME,
    readText: (path: string) => (path === hostfile ? machines.hostfile : undefined),
    run: async (file: string, args: readonly string[]) => {
      calls.push([file, ...args]);
      if (file !== "ssh") return machines.versions?.["127.0.0.1"] ?? failed("no such host");
      const host = args[4]!;
      if (args[5] === "true") return machines.ssh?.[host] ?? ok("");
      return machines.versions?.[host] ?? failed(`bash: ${PYTHON}: No such file or directory`);
    },
  } as unknown as DoctorDeps;
  return {
    ctx: {
      options: { config: singleConfig(join(tree.dir, "mallex.yaml")) },
      deps,
      table: tree.table!,
      hardware: { platform: "darwin", arch: "arm64", ramGb: 192, appleSilicon: true },
    },
    hostfile,
    calls,
  };
}

const lines = async (ctx: DoctorContext) => (await checkDistributed(ctx)).map(formatCheck);
const same = { "studio-1": ok("0.31.2 0.31.1\n"), "studio-2": ok("0.31.2 0.31.1\n") };

describe("mallex doctor: mlx distributed", () => {
  it("all good: the hostfile, ssh without a password to each host, the same versions everywhere", async () => {
    const { ctx, hostfile, calls } = context({ hostfile: HOSTS, versions: same });
    expect(await lines(ctx)).toEqual([
      `✓ hostfile (cluster) — 2 hosts in ${hostfile}, rank 0 (serves HTTP): studio-1`,
      "✓ ssh (cluster) — studio-1, studio-2 answer ssh without a password",
      "✓ mlx versions (cluster) — mlx-lm 0.31.2, mlx 0.31.1 on all 2 hosts",
    ]);
    expect(calls).toContainEqual(["ssh", "-o", "BatchMode=yes", "-o", "ConnectTimeout=5", "studio-2", "true"]);
    expect(calls).toContainEqual([
      "ssh",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=5",
      "studio-1",
      `'${PYTHON}' -c 'import mlx_lm, mlx.core; print(mlx_lm.__version__, mlx.core.__version__)'`,
    ]);
  });

  it("a missing hostfile fails with its path and how to write one; the host checks are skipped", async () => {
    const { ctx, hostfile } = context({});
    expect(await lines(ctx)).toEqual([
      `✗ hostfile (cluster) — no hostfile at ${hostfile} (fix: write it with \`mlx.distributed_config --backend ring --hosts HOST1,HOST2 --output ${hostfile}\`, or point supervise.distributed.hostfile at yours)`,
      "- ssh (cluster) — no hostfile",
      "- mlx versions (cluster) — no hostfile",
    ]);
  });

  it("a hostfile that is not JSON fails with the file's path and the parser's reason", async () => {
    const { ctx, hostfile } = context({ hostfile: '[{"ssh": "studio-1",' });
    const [first, ...rest] = await lines(ctx);
    expect(first).toMatch(
      new RegExp(
        `^✗ hostfile \\(cluster\\) — the hostfile ${hostfile.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")} is not valid JSON \\(.+\\) \\(fix: fix .*hosts\\.json: a JSON list of \\{"ssh": "host", "ips": \\["address"\\]\\}, rank 0 first\\)$`,
      ),
    );
    expect(rest).toEqual(["- ssh (cluster) — the hostfile is invalid", "- mlx versions (cluster) — the hostfile is invalid"]);
  });

  it("a host that refuses ssh (a password would be asked) fails with ssh's own words and the fix", async () => {
    const { ctx } = context({ hostfile: HOSTS, ssh: { "studio-2": failed("me@studio-2: Permission denied (publickey,password).\n") }, versions: same });
    expect(await lines(ctx)).toEqual([
      expect.stringMatching(/^✓ hostfile/),
      "✗ ssh (cluster) — studio-2: me@studio-2: Permission denied (publickey,password). (fix: mlx.launch logs in without a password: `ssh-copy-id studio-2` (and Remote Login on in System Settings › General › Sharing), then `ssh studio-2 true`)",
      "- mlx versions (cluster) — not every host answers ssh",
    ]);
  });

  it("hosts with different versions, one too old, or none installed fail with each host's versions", async () => {
    const differ = context({ hostfile: HOSTS, versions: { "studio-1": ok("0.31.2 0.31.1"), "studio-2": ok("0.31.2 0.30.6") } });
    expect((await lines(differ.ctx))[2]).toBe(
      "✗ mlx versions (cluster) — the hosts differ: studio-1: mlx-lm 0.31.2, mlx 0.31.1; studio-2: mlx-lm 0.31.2, mlx 0.30.6 (fix: install the same mlx and mlx-lm on every host (each rank must load and shard the model the same way))",
    );
    const old = context({ hostfile: HOSTS, versions: { "studio-1": ok("0.30.5 0.30.4"), "studio-2": ok("0.30.5 0.30.4") } });
    expect((await lines(old.ctx))[2]).toBe(
      `✗ mlx versions (cluster) — mlx-lm serves distributed from 0.30.6; studio-1 has 0.30.5, studio-2 has 0.30.5 (fix: on studio-1, studio-2: ${PYTHON} -m pip install 'mlx-lm>=0.30.6', the same version on every host)`,
    );
    const missing = context({
      hostfile: HOSTS,
      versions: { "studio-1": ok("0.31.2 0.31.1"), "studio-2": failed("ModuleNotFoundError: No module named 'mlx_lm'") },
    });
    expect((await lines(missing.ctx))[2]).toBe(
      `✗ mlx versions (cluster) — studio-2: ModuleNotFoundError: No module named 'mlx_lm' (fix: install mlx-lm into the same path on every host: ${PYTHON} -m pip install 'mlx-lm>=0.30.6')`,
    );
  });

  it("rank 0 named 127.0.0.1 runs here without ssh; a rank 0 that may be another Mac without rank0_host is a warning", async () => {
    const local = context(
      {
        hostfile: JSON.stringify([
          { ssh: "127.0.0.1", ips: ["10.0.0.1"] },
          { ssh: "studio-2", ips: ["10.0.0.2"] },
        ]),
        versions: { "127.0.0.1": ok("0.31.2 0.31.1"), "studio-2": ok("0.31.2 0.31.1") },
      },
      CONFIG.replace(", rank0_host: studio-1", ""),
    );
    const checks = await checkDistributed(local.ctx);
    expect(checks.map(formatCheck).slice(1)).toEqual([
      "✓ ssh (cluster) — studio-2 answer ssh without a password",
      "✓ mlx versions (cluster) — mlx-lm 0.31.2, mlx 0.31.1 on all 2 hosts",
    ]);
    expect(checks[0]!.warning).toBeUndefined();
    expect(local.calls).toContainEqual([PYTHON, "-c", "import mlx_lm, mlx.core; print(mlx_lm.__version__, mlx.core.__version__)"]);

    const named = context({ hostfile: HOSTS, versions: same }, CONFIG.replace(", rank0_host: studio-1", ""));
    const [hostfile] = await checkDistributed(named.ctx);
    expect(hostfile).toMatchObject({
      ok: true,
      warning: true,
      fix: "mallex looks for rank 0's HTTP server on 127.0.0.1: if studio-1 is not this Mac, set supervise.distributed.rank0_host: studio-1",
    });
  });

  it("runDoctor lists the distributed checks after the venv check; --backend-url and configs without one have none", async () => {
    const { ctx } = context({ hostfile: HOSTS, versions: same });
    const deps = {
      ...ctx.deps,
      cwd: packageRoot,
      env: {},
      packageRoot,
      homedir: "/Users/me",
      detectHardware: async () => ctx.hardware,
      findPython: async () => ({ found: { command: "python3", version: "3.12.4" }, tooOld: [] }),
      findClaude: () => undefined,
      fetch: async () => Promise.reject(new TypeError("fetch failed")),
      checkPort: async () => true as const,
      exists: () => false,
      fileSize: () => undefined,
      readdir: () => [],
      now: () => 0,
    } as DoctorDeps;
    const report = await runDoctor(ctx.options, deps);
    const names = report.checks.map((c) => c.name);
    // This Mac holds only its share of the model: its memory is not judged against the whole.
    expect(formatCheck(report.checks.find((c) => c.name === "memory")!)).toBe(
      "- memory — Apple Silicon, 192 GB unified memory; big is spread over several Macs (mlx distributed), this one holds only its share",
    );
    expect(names.slice(names.indexOf("mlx-lm"), names.indexOf("mlx-lm") + 4)).toEqual([
      "mlx-lm",
      "hostfile (cluster)",
      "ssh (cluster)",
      "mlx versions (cluster)",
    ]);
    expect(await checkDistributed({ ...ctx, options: { ...ctx.options, backendUrl: "http://127.0.0.1:8080/v1" } })).toEqual([]);
    expect(await checkDistributed({ ...ctx, table: compileTree({ "mallex.yaml": CONFIG.replace(/\n\s+distributed:.*\n/, "\n") }).table! })).toEqual([]);
  });
});
