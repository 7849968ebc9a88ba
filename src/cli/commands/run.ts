import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineCommand } from "citty";
import { execa } from "execa";
import { findPackageRoot } from "../../package-root.js";
import { proxyArgs } from "../common-args.js";
import { findClaude } from "../find-claude.js";
import { serve, type Serving } from "../serve.js";

export default defineCommand({
  meta: { name: "run", description: "Start the proxy and the local model server, then launch Claude Code pointed at them (mallex run -- <claude args>)" },
  args: {
    ...proxyArgs,
    setup: { type: "boolean", description: "Run `mallex init` first" },
  },
  async run({ args }) {
    const packageRoot = findPackageRoot();
    const print = (line: string) => console.error(line);
    let config = args.config;
    if (args.setup) {
      config = await setUp(config, args["backend-url"], print);
      if (config === undefined) return;
    }
    // Claude Code talks to mallex with a token only this session knows.
    const token = `mallex-${randomBytes(16).toString("hex")}`;
    const serving = await serve({ ...args, config, port: args.port ?? "0" }, { packageRoot, print, authToken: token, stopSignals: ["SIGTERM", "SIGHUP"] });
    let exitCode = 1;
    try {
      await warmUp(serving, args["backend-url"] !== undefined, print);
      const claude = findClaude(process.env, packageRoot);
      const [file, prefix] = claude ? [claude, []] : ["npx", ["--yes", "@anthropic-ai/claude-code"]];
      const env: Record<string, string | undefined> = {
        ...process.env,
        ANTHROPIC_BASE_URL: serving.proxy.url,
        ANTHROPIC_AUTH_TOKEN: token,
        // mallex holds the real key for the Claude tiers; Claude Code must not send it to the proxy.
        ANTHROPIC_API_KEY: undefined,
        // The per-conversation attribution line sits first in the prompt and defeats the prefix cache.
        CLAUDE_CODE_ATTRIBUTION_HEADER: "0",
      };
      const child = execa(file, [...prefix, ...args._.map(String)], { stdio: "inherit", env, extendEnv: false, reject: false });
      // Ctrl-C belongs to Claude Code (it shares the terminal); mallex cleans up once it has exited.
      const ignore = () => undefined;
      process.on("SIGINT", ignore);
      const forward = () => child.kill("SIGTERM");
      process.on("SIGTERM", forward);
      const result = await child;
      process.off("SIGINT", ignore);
      process.off("SIGTERM", forward);
      exitCode = result.exitCode ?? (result.signal ? 128 + signalNumber(result.signal) : 1);
    } finally {
      if (serving.onExit !== "stop") print(`mallex: on_exit: ${serving.onExit} is not supported yet; stopping the model server`);
      await serving.close();
    }
    process.exitCode = exitCode;
  },
});

/**
 * `--setup`: writes a config with `mallex init` unless one exists, and returns its path; undefined
 * when the recommended model needs a server mallex cannot start here (init printed what to run).
 */
async function setUp(config: string | undefined, backendUrl: string | undefined, print: (line: string) => void): Promise<string | undefined> {
  const path = resolve(config ?? "mallex.yaml");
  if (existsSync(path)) {
    print(`mallex: ${config ?? "mallex.yaml"} exists; using it (\`mallex init --force\` writes a new one)`);
    return path;
  }
  const { initFromTerminal } = await import("./init.js");
  const result = await initFromTerminal({ out: path });
  return result.backendUrl !== undefined && backendUrl === undefined ? undefined : result.path;
}

/** Starts the default tier's model server before Claude Code opens, with its progress on the terminal. */
async function warmUp(serving: Serving, external: boolean, print: (line: string) => void): Promise<void> {
  if (external) return;
  const profile = serving.defaultProfile;
  if (!profile || !serving.supervisors.backends.has(profile.backend)) return;
  print(`mallex: starting ${profile.model} for the ${serving.table.routing.defaultTier} tier…`);
  await serving.supervisors.for(profile).ensureReady();
}

function signalNumber(signal: string): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0;
}
