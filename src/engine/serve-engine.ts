import { mkdir } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { toNodeHandler } from "h3";
import { MallexError } from "../shared/mallex-error.js";
import { createEngineApp } from "./create-engine-app.js";
import { ENGINE_MAX_BODY_BYTES } from "./guard-engine-request.js";
import { loadEngine, type EngineOptions } from "./load-engine.js";
import { resolveModelSource } from "./resolve-model-source.js";

export interface ServeEngineOptions extends Omit<EngineOptions, "modelPath" | "onLog" | "onNote" | "speculation"> {
  /** A GGUF path or an hf: URI. */
  model: string;
  /** A smaller GGUF (path or hf: URI) of the same tokenizer that writes ahead for the model to check (--model-draft). */
  draftModel?: string;
  /** Prompt lookup: tokens that followed the last ones written where they stand in the prompt are checked ahead (--lookup). */
  lookup?: boolean;
  host: string;
  port: number;
  mallexHome: string;
  /** Progress, status and request lines: the CLI writes them to stderr, where the supervisor reads them. */
  print(line: string): void;
  /** HF_TOKEN and HF_ENDPOINT for downloads. */
  env: Readonly<Record<string, string | undefined>>;
  /** Stops a download in progress (the CLI's Ctrl-C / SIGTERM). */
  signal?: AbortSignal;
  /** The token every request must carry (what mallex gave it in MALLEX_ENGINE_TOKEN); absent: none asked for. */
  token?: string;
  /** Default ENGINE_MAX_BODY_BYTES. */
  maxBodyBytes?: number;
  /** Host names a request may name besides the loopback ones and `host` (--allowed-hosts). */
  allowedHosts?: readonly string[];
  /** The folder slot files are saved to and restored from (--slot-save-path, as llama-server's); absent: no slot actions. */
  slotSavePath?: string;
}

export interface RunningEngine {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `mallex engine`: resolve (download) the model, load it, then listen — so "listening" means ready,
 * as the supervisor's readiness probe and anyone else pointing at the port expect.
 */
export async function serveEngine(options: ServeEngineOptions): Promise<RunningEngine> {
  const say = (line: string) => options.print(`mallex engine: ${line}`);
  // Progress lines go out as they are (tqdm-shaped): the supervisor reads them as a download bar.
  const resolve = (model: string) =>
    resolveModelSource(model, {
      modelsDir: join(options.mallexHome, "models"),
      onProgress: options.print,
      env: options.env,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  const modelPath = await resolve(options.model);
  const speculation: EngineOptions["speculation"] =
    options.draftModel !== undefined
      ? { kind: "draft", modelPath: await resolve(options.draftModel) }
      : options.lookup === true
        ? { kind: "lookup" }
        : undefined;
  if (options.slotSavePath !== undefined)
    await mkdir(options.slotSavePath, { recursive: true }).catch((error: unknown) => {
      throw new MallexError("E_USAGE", `the engine cannot create its --slot-save-path ${options.slotSavePath}: ${(error as Error).message}`, { cause: error });
    });
  say(`loading model ${modelPath}`);
  const started = performance.now();
  const { draftModel: _draft, lookup: _lookup, slotSavePath, ...engineOptions } = options;
  const engine = await loadEngine({
    ...engineOptions,
    modelPath,
    ...(speculation ? { speculation } : {}),
    onLog: (line) => say(`llama.cpp: ${line}`),
    onNote: say,
  });
  say(`loaded in ${((performance.now() - started) / 1000).toFixed(1)} s: ${engine.description}`);
  const guard = {
    host: options.host,
    maxBodyBytes: options.maxBodyBytes ?? ENGINE_MAX_BODY_BYTES,
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.allowedHosts ? { allowedHosts: options.allowedHosts } : {}),
  };
  const server = createServer(
    toNodeHandler(
      createEngineApp(engine, { log: say, now: () => performance.now(), guard, ...(slotSavePath !== undefined ? { slotSaveDir: slotSavePath } : {}) }),
    ),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port, options.host, () => resolve());
    });
  } catch (error) {
    await engine.dispose();
    throw new MallexError("E_USAGE", `the engine cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`, { cause: error });
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host}:${port}`;
  say(`server is listening on ${url}/v1`);
  return {
    url,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await engine.dispose();
    },
  };
}
