import { dirname } from "node:path";
import { parseHostfile, MIN_MLX_LM_DISTRIBUTED, type HostfileHost } from "../backends/mlx-distributed.js";
import type { CompiledDistributed } from "../compile/routing-table.js";
import { isLoopbackHost } from "../http/check-auth.js";
import { resolveVenvDir } from "../supervisor/bootstrap-venv.js";
import { compareVersions } from "../shared/compare-versions.js";
import { describeVersions, readVersions, type HostVersions } from "./check-distributed-versions.js";
import { isLocal, profilesInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext } from "./types.js";

/** mlx.launch runs a host named exactly this without ssh. */
const LOCAL_HOST = "127.0.0.1";

/**
 * For each mlx distributed backend in use: its hostfile exists and is one mlx.launch accepts, every
 * host answers ssh without a password (mlx.launch cannot type one), and every host has the same mlx
 * and mlx-lm, new enough to serve distributed. Nothing when no backend in use is distributed.
 */
export async function checkDistributed(ctx: DoctorContext): Promise<CheckResult[]> {
  if (ctx.options.backendUrl) return [];
  const backends = new Map(
    profilesInUse(ctx.table)
      .filter((p) => isLocal(p) && p.backend.supervise?.distributed)
      .map((p) => [p.backendName, p.backend.supervise!] as const),
  );
  const results = await Promise.all([...backends].map(([name, supervise]) => checkBackend(ctx, name, supervise.distributed!, supervise.venv)));
  return results.flat();
}

async function checkBackend(
  ctx: DoctorContext,
  backendName: string,
  distributed: CompiledDistributed,
  venv: boolean | string | undefined,
): Promise<CheckResult[]> {
  const path = distributed.hostfile;
  const hostfile: CheckResult = { name: `hostfile (${backendName})`, ok: true, detail: "" };
  const text = ctx.deps.readText(path);
  if (text === undefined) {
    const fix = `write it with \`mlx.distributed_config --backend ${distributed.backend} --hosts HOST1,HOST2 --output ${path}\`, or point supervise.distributed.hostfile at yours`;
    return [{ ...hostfile, ok: false, detail: `no hostfile at ${path}`, fix }, ...skipped(backendName, "no hostfile")];
  }
  const parsed = parseHostfile(text, path, distributed.backend);
  if (!parsed.ok)
    return [
      { ...hostfile, ok: false, detail: parsed.message, fix: `fix ${path}: a JSON list of {"ssh": "host", "ips": ["address"]}, rank 0 first` },
      ...skipped(backendName, "the hostfile is invalid"),
    ];
  const rank0 = parsed.hosts[0]!.ssh;
  hostfile.detail = `${parsed.hosts.length} hosts in ${path}, rank 0 (serves HTTP): ${rank0}`;
  if (parsed.backend !== undefined && parsed.backend !== distributed.backend) {
    Object.assign(hostfile, { warning: true, fix: `the file says backend ${parsed.backend}; mallex passes --backend ${distributed.backend}, which wins` });
  } else if (distributed.rank0Host === undefined && !isLoopbackHost(rank0)) {
    Object.assign(hostfile, {
      warning: true,
      fix: `mallex looks for rank 0's HTTP server on 127.0.0.1: if ${rank0} is not this Mac, set supervise.distributed.rank0_host: ${rank0}`,
    });
  }

  const remote = parsed.hosts.filter((h) => h.ssh !== LOCAL_HOST);
  const reached = await Promise.all(
    remote.map(async (host) => ({ host, result: await ctx.deps.run("ssh", [...SSH_OPTIONS, host.ssh, "true"], { timeoutMs: 10_000 }) })),
  );
  const refused = reached.filter((r) => !r.result.ok);
  const ssh: CheckResult =
    refused.length === 0
      ? {
          name: `ssh (${backendName})`,
          ok: true,
          detail:
            remote.length === 0
              ? "every host is 127.0.0.1: mlx.launch runs them without ssh"
              : `${remote.map((h) => h.ssh).join(", ")} answer ssh without a password`,
        }
      : {
          name: `ssh (${backendName})`,
          ok: false,
          detail: refused.map((r) => `${r.host.ssh}: ${r.result.missing ? "no ssh program here" : (lastLine(r.result.stderr) ?? "ssh failed")}`).join("; "),
          fix: `mlx.launch logs in without a password: \`ssh-copy-id ${refused[0]!.host.ssh}\` (and Remote Login on in System Settings › General › Sharing), then \`ssh ${refused[0]!.host.ssh} true\``,
        };
  if (refused.length > 0) return [hostfile, ssh, { name: `mlx versions (${backendName})`, ok: "skip", detail: "not every host answers ssh" }];

  const python = pythonOf(distributed.launcher, venv, ctx.deps.mallexHome);
  const versions = await Promise.all(parsed.hosts.map((host) => readHostVersions(ctx, host, python)));
  return [hostfile, ssh, versionResult(backendName, versions, python)];
}

/** BatchMode: fail instead of asking for a password (mlx.launch could not answer one either). */
const SSH_OPTIONS = ["-o", "BatchMode=yes", "-o", "ConnectTimeout=5"];

/** The Python next to mlx.launch (the venv both are installed in), or python3 on PATH. */
function pythonOf(launcher: string, venv: boolean | string | undefined, mallexHome: string): string {
  const program = venv ? launcher.replaceAll("{venv}", resolveVenvDir(mallexHome, venv)) : launcher;
  return program.includes("/") && !program.includes("{") ? `${dirname(program)}/python` : "python3";
}

async function readHostVersions(ctx: DoctorContext, host: HostfileHost, python: string): Promise<HostVersions> {
  const code = "import mlx_lm, mlx.core; print(mlx_lm.__version__, mlx.core.__version__)";
  const result =
    host.ssh === LOCAL_HOST
      ? await ctx.deps.run(python, ["-c", code], { timeoutMs: 20_000 })
      : await ctx.deps.run("ssh", [...SSH_OPTIONS, host.ssh, `${shellQuote(python)} -c ${shellQuote(code)}`], { timeoutMs: 20_000 });
  return readVersions(host.ssh, result);
}

function versionResult(backendName: string, versions: HostVersions[], python: string): CheckResult {
  const name = `mlx versions (${backendName})`;
  const missing = versions.filter((v) => v.mlxLm === undefined);
  const install = `${python} -m pip install 'mlx-lm>=${MIN_MLX_LM_DISTRIBUTED}'`;
  if (missing.length > 0) {
    return {
      name,
      ok: false,
      detail: missing.map((v) => `${v.host}: ${v.error}`).join("; "),
      fix: `install mlx-lm into the same path on every host: ${install}`,
    };
  }
  const old = versions.filter((v) => compareVersions(v.mlxLm!, MIN_MLX_LM_DISTRIBUTED) < 0);
  if (old.length > 0) {
    return {
      name,
      ok: false,
      detail: `mlx-lm serves distributed from ${MIN_MLX_LM_DISTRIBUTED}; ${old.map((v) => `${v.host} has ${v.mlxLm}`).join(", ")}`,
      fix: `on ${old.map((v) => v.host).join(", ")}: ${install}, the same version on every host`,
    };
  }
  const differ = new Set(versions.map((v) => `${v.mlxLm} ${v.mlx}`)).size > 1;
  if (differ) {
    return {
      name,
      ok: false,
      detail: `the hosts differ: ${describeVersions(versions)}`,
      fix: "install the same mlx and mlx-lm on every host (each rank must load and shard the model the same way)",
    };
  }
  return { name, ok: true, detail: `mlx-lm ${versions[0]!.mlxLm}, mlx ${versions[0]!.mlx} on all ${versions.length} hosts` };
}

function skipped(backendName: string, why: string): CheckResult[] {
  return [
    { name: `ssh (${backendName})`, ok: "skip", detail: why },
    { name: `mlx versions (${backendName})`, ok: "skip", detail: why },
  ];
}

function lastLine(text: string): string | undefined {
  return text.trim().split("\n").at(-1)?.trim() || undefined;
}

/** One word for the remote shell ssh runs the command in. */
function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
