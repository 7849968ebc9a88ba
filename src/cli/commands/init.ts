import { defineCommand } from "citty";
import { createPrompt, type Prompt } from "../../setup/create-prompt.js";
import { detectHardware } from "../../setup/detect-hardware.js";
import { measureMemoryBandwidth } from "../../setup/measure-memory-bandwidth.js";
import { runInit, type InitOptions, type InitResult } from "../../setup/run-init.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { lookupPython } from "../../supervisor/bootstrap-venv.js";
import { printOut } from "../terminal-text.js";

// For `mallex run --setup`, which loads this file only when it sets up.
export { printNext } from "../../setup/run-init.js";

export default defineCommand({
  meta: { name: "init", description: "Detect this machine, recommend a model and write a commented mallex.yaml" },
  args: {
    yes: { type: "boolean", alias: "y", description: "Accept the recommendation without asking" },
    model: { type: "string", description: "Profile to use instead of the recommended one", valueHint: "profile" },
    backend: {
      type: "string",
      description:
        "Model server: mlx (mlx-lm; macOS on Apple Silicon, Python) or embedded (mallex's own llama.cpp engine; anywhere). Default: mlx where it runs, else embedded",
      valueHint: "mlx|embedded",
    },
    tiers: { type: "string", description: "Tiers that go to Claude, comma-separated (e.g. high)", valueHint: "list" },
    out: {
      type: "string",
      description: "Where to write the config (default: this machine's settings, $MALLEX_HOME/mallex.yaml (~/.mallex))",
      valueHint: "file",
    },
    force: { type: "boolean", description: "Overwrite the file if it exists" },
    "api-key-env": { type: "string", description: "Environment variable holding the Anthropic API key (default: ANTHROPIC_API_KEY)", valueHint: "name" },
  },
  async run({ args }) {
    await initFromTerminal({
      yes: Boolean(args.yes),
      force: Boolean(args.force),
      ...(args.model !== undefined ? { model: args.model } : {}),
      ...(args.backend !== undefined ? { backend: args.backend } : {}),
      ...(args.tiers !== undefined ? { tiers: args.tiers } : {}),
      ...(args.out !== undefined ? { out: args.out } : {}),
      ...(args["api-key-env"] !== undefined ? { apiKeyEnv: args["api-key-env"] } : {}),
    });
  },
});

/** `mallex init` as the terminal runs it (also `mallex run --setup`): asks only on a TTY without --yes. */
export async function initFromTerminal(options: InitOptions): Promise<InitResult> {
  // Questions only on a terminal: piped or CI runs take the defaults, as with --yes.
  const prompt: Prompt | undefined = !options.yes && process.stdin.isTTY ? createPrompt(process.stdin, process.stdout) : undefined;
  try {
    return await runInit(options, {
      cwd: process.cwd(),
      env: process.env,
      packageRoot: findPackageRoot(),
      detectHardware: () => detectHardware(),
      measureBandwidth: (threads) => measureMemoryBandwidth({ threads }),
      findPython: () => lookupPython(),
      ...(prompt ? { ask: prompt.ask } : {}),
      print: printOut,
    });
  } finally {
    prompt?.close();
  }
}
