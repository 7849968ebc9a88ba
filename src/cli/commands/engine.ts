import { resolve } from "node:path";
import { defineCommand } from "citty";
import { MallexError } from "../../shared/mallex-error.js";
import { resolveMallexHome } from "../../shared/files/mallex-home.js";
import { serveEngine } from "../../engine/serve-engine.js";
import { ENGINE_MAX_BODY_ENV, ENGINE_TOKEN_ENV } from "../../engine/guard-engine-request.js";
import { planEngineContext } from "../../engine/plan-engine-context.js";
import { defaultEnsureEngineDeps, ensureEngine } from "../../engine/install/ensure-engine.js";
import { importEngine } from "../../engine/install/import-engine.js";
import { parseGpuSteps, type GpuStep } from "../../shared/gpu-steps.js";
import { markModelSourceFailure, MODEL_SOURCE_EXIT_CODE } from "../../shared/model-source-failure.js";
import { findPackageRoot } from "../../shared/package-root.js";
import { noteMissingGpuBinaries, runEngineInstall } from "../engine-install.js";
import { parseGpuLayers } from "../args/parse-gpu-layers.js";
import { parseCount } from "../args/parse-count.js";
import { waitForShutdown } from "../wait-for-shutdown.js";
import { printErr } from "../terminal-text.js";

export default defineCommand({
  meta: {
    name: "engine",
    description: "Serve one GGUF model over OpenAI Chat Completions with the embedded llama.cpp engine (what backends of flavor embedded run)",
  },
  args: {
    model: {
      type: "string",
      alias: "m",
      description: "GGUF file, or hf:user/repo:quant / hf:user/repo/file.gguf (downloaded into MALLEX_HOME/models); required, except with --install",
      valueHint: "path|hf:uri",
    },
    host: { type: "string", description: "Address to listen on", default: "127.0.0.1" },
    "allowed-hosts": {
      type: "string",
      description: "Host names requests may name besides localhost and --host, comma-separated (the machine's LAN name when other machines call it)",
      valueHint: "names",
    },
    port: { type: "string", alias: "p", description: "Port to listen on (0: any free port)", default: "8080", valueHint: "n" },
    threads: { type: "string", alias: "t", description: "CPU threads (default: every physical core; one for a model under 150 MB)", valueHint: "n" },
    "ctx-size": {
      type: "string",
      alias: "c",
      description: "Context tokens per sequence (default: what fits, up to the model's trained context)",
      valueHint: "n",
    },
    "batch-size": { type: "string", alias: "b", description: "Prompt tokens per batch", valueHint: "n" },
    "gpu-layers": { type: "string", description: "Layers on the GPU: a number, auto or max (0: CPU only)", valueHint: "n|auto|max" },
    parallel: { type: "string", description: "Requests generated at once; more wait in a queue (default 1)", valueHint: "n" },
    "model-draft": {
      type: "string",
      alias: "md",
      description: "Speculative decoding: a smaller GGUF with the same tokenizer (path or hf: URI) writes ahead, the model checks its tokens in one batch",
      valueHint: "path|hf:uri",
    },
    lookup: {
      type: "boolean",
      description:
        "Speculative decoding by prompt lookup: what followed the last tokens where they stand in the prompt is checked ahead (a file rewritten with a change)",
    },
    "gpu-backends": {
      type: "string",
      description:
        "llama.cpp backends to try in order, the first that loads is used: cuda, vulkan, metal (:local: its source build only), cpu. mallex sets it after a GPU backend failed (with --install: the GPUs to install binaries for)",
      valueHint: "list",
    },
    "slot-save-path": {
      type: "string",
      description:
        "Folder for slot files (POST /slots/{id}?action=save|restore, as llama-server's): a slot's prompt cache kept across restarts; created when missing",
      valueHint: "dir",
    },
    plan: {
      type: "boolean",
      description: "Print the context (per sequence) the engine would hold on this machine as JSON, and exit (mallex proxy/run ask this before starting it)",
    },
    "max-ctx-size": {
      type: "string",
      description: "With no --ctx-size: hold what fits on the backend it loads, but no more than this many tokens per sequence (with --plan too)",
      valueHint: "n",
    },
    install: {
      type: "boolean",
      description:
        "Install node-llama-cpp into MALLEX_HOME/engine with its binaries for the CPU and the GPUs found here (or those --gpu-backends names), from npm, and exit; the first engine start does the same when it is missing",
    },
  },
  async run({ args }) {
    const layers = parseGpuLayers(args["gpu-layers"]);
    const backends = parseBackends(args["gpu-backends"]);
    const maxContextSize = parseCount(args["max-ctx-size"], "--max-ctx-size", 256);
    const mallexHome = resolveMallexHome(process.env);
    const packageRoot = findPackageRoot();
    // A signal during a download (the engine's packages, a multi-GB model) must stop it, not wait for it.
    const stopping = new AbortController();
    const stop = () => stopping.abort(new Error("stopped"));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const unhook = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    };
    if (args.install) {
      await runEngineInstall({ packageRoot, mallexHome, print: printErr, signal: stopping.signal, ...defined("backends", backends) }).finally(unhook);
      return;
    }
    if (!args.model) throw new MallexError("E_USAGE", "mallex engine: --model is required (a GGUF file or an hf: URI), unless --install", { exitCode: 2 });
    // Installed by whoever starts the engine (mallex run/proxy) before it does; by hand, now.
    const ensured = await ensureEngine({ packageRoot, mallexHome, print: printErr, signal: stopping.signal }, defaultEnsureEngineDeps());
    if (ensured.gpuError) printErr(ensured.gpuError.message);
    // Planning is short: its caller's timeout must be able to end it with SIGTERM.
    if (args.plan) unhook();
    const nodeLlamaCpp = await importEngine(ensured.found);
    if (args.plan) {
      const plan = await planEngineContext(
        {
          modelPath: args.model,
          ...defined("sequences", parseCount(args.parallel, "--parallel", 1)),
          ...defined("gpuLayers", layers),
          ...defined("batchSize", parseCount(args["batch-size"], "--batch-size", 1)),
          ...defined("maxContextSize", maxContextSize),
        },
        nodeLlamaCpp,
      );
      process.stdout.write(`${JSON.stringify(plan)}\n`);
      return;
    }
    if (layers !== 0) await noteMissingGpuBinaries(ensured.found, nodeLlamaCpp, (line) => printErr(`mallex engine: ${line}`));
    // The token mallex made for this start: taken out of the environment, so nothing the engine
    // starts inherits it.
    const token = process.env[ENGINE_TOKEN_ENV] || undefined;
    delete process.env[ENGINE_TOKEN_ENV];
    // The body limit of the mallex that started it (its server.max_body_mb); by hand, the default.
    const maxBodyBytes = parseCount(process.env[ENGINE_MAX_BODY_ENV] || undefined, ENGINE_MAX_BODY_ENV, 1);
    delete process.env[ENGINE_MAX_BODY_ENV];
    let engine;
    try {
      engine = await serveEngine({
        env: process.env,
        signal: stopping.signal,
        model: args.model,
        host: args.host,
        port: parseCount(args.port, "--port", 0)!,
        mallexHome,
        nodeLlamaCpp,
        print: printErr,
        ...defined("token", token),
        ...defined("maxBodyBytes", maxBodyBytes),
        ...defined(
          "allowedHosts",
          args["allowed-hosts"]
            ?.split(",")
            .map((name) => name.trim().toLowerCase())
            .filter(Boolean),
        ),
        ...defined("threads", parseCount(args.threads, "--threads", 1)),
        ...defined("contextSize", parseCount(args["ctx-size"], "--ctx-size", 256)),
        ...defined("batchSize", parseCount(args["batch-size"], "--batch-size", 1)),
        ...defined("sequences", parseCount(args.parallel, "--parallel", 1)),
        ...defined("gpuLayers", layers),
        ...defined("backends", backends),
        ...defined("maxContextSize", maxContextSize),
        ...defined("draftModel", args["model-draft"]),
        ...(args.lookup === true ? { lookup: true } : {}),
        ...defined("slotSavePath", args["slot-save-path"] === undefined ? undefined : resolve(args["slot-save-path"])),
      });
    } catch (error) {
      if (stopping.signal.aborted) throw new MallexError("E_ENGINE", "mallex engine: stopped before the model was ready", { exitCode: 130 });
      // The model cannot be had (offline, not on the Hub, not a GGUF): the user's to fix, in words the
      // mallex that started this engine passes on as they are (model-source-failure.ts).
      if (MallexError.isInstance(error) && error.code === "E_MODEL_SOURCE")
        throw new MallexError("E_MODEL_SOURCE", markModelSourceFailure(error.message), { exitCode: MODEL_SOURCE_EXIT_CODE, cause: error });
      throw error;
    }
    unhook();
    await waitForShutdown();
    await engine.close();
  },
});

function parseBackends(value: string | undefined): GpuStep[] | undefined {
  if (value === undefined) return undefined;
  try {
    return parseGpuSteps(value);
  } catch (error) {
    throw new MallexError("E_USAGE", (error as Error).message, { exitCode: 2 });
  }
}

function defined<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
