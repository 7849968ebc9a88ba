import { homedir } from "node:os";
import { nodeModelFiles, type ModelFiles, type ModelPlace } from "../supervisor/memory/model-sizes.js";
import { createAskJson, type SendText } from "./facts/ask-json.js";
import { sendTextRequest } from "../shared/send-text-request.js";
import type { FactsReader } from "./facts/facts-io.js";
import { readExoModels } from "./facts/read-exo-models.js";
import { readLlamaServerProps } from "./facts/read-llama-server-props.js";
import { readLmStudioModels } from "./facts/read-lmstudio-models.js";
import { readMlxLmConfig } from "./facts/read-mlx-lm-config.js";
import { readOllamaModel } from "./facts/read-ollama-model.js";
import { readOpenAIModels } from "./facts/read-openai-models.js";
import { readVllmModels } from "./facts/read-vllm-models.js";
import type { DiscoverServerFacts } from "./server-facts.js";

/** The longest a discovery waits for its server, all its requests together. */
export const FACTS_TIMEOUT_MS = 2_000;

export interface DiscoveryDeps {
  /** How each request is sent (default sendTextRequest: node:http, not fetch, whose undici costs ~14 MiB of RSS). */
  send: SendText;
  timeoutMs: number;
  /** The file system mlx-lm's model config is read from, and where the model is looked for. */
  files: ModelFiles;
  place: () => ModelPlace;
}

/**
 * A discovery with its dependencies (tests pass a temporary Hugging Face cache, a shorter limit).
 * Each call asks the server the way its flavor publishes its facts, within `timeoutMs` or until
 * `signal` aborts, and never throws: what it cannot read is undefined.
 */
export function createServerFactsDiscovery(deps: Partial<DiscoveryDeps> = {}): DiscoverServerFacts {
  return async (target, signal) => {
    const reader = readerOf(target.flavor);
    if (reader === undefined) return undefined;
    const deadline = AbortSignal.timeout(deps.timeoutMs ?? FACTS_TIMEOUT_MS);
    const joined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    const io = {
      ask: createAskJson(deps.send ?? sendTextRequest, target.headers, joined),
      files: deps.files ?? nodeModelFiles,
      place: (deps.place ?? placeHere)(),
    };
    try {
      return await reader(target, io);
    } catch {
      // A reader only parses what it was sent; an answer no reader foresaw is still no fact.
      return undefined;
    }
  };
}

/** Reads a server's facts the way its flavor publishes them (see server-facts.ts). */
export const discoverServerFacts: DiscoverServerFacts = (target, signal) => createServerFactsDiscovery()(target, signal);

/** Each flavor's reader (the flavors of server-features.ts); an unknown flavor has none. */
function readerOf(flavor: string): FactsReader | undefined {
  switch (flavor) {
    case "llama-server":
      return (target, io) => readLlamaServerProps(target, io, "llama-server");
    case "embedded":
      return (target, io) => readLlamaServerProps(target, io, "mallex engine");
    case "vllm":
      return readVllmModels;
    case "lmstudio":
      return readLmStudioModels;
    case "ollama":
      return readOllamaModel;
    case "mlx-lm":
      return readMlxLmConfig;
    case "exo":
      return readExoModels;
    case "openrouter":
    case "generic":
      return readOpenAIModels;
    default:
      return undefined;
  }
}

function placeHere(): ModelPlace {
  return { env: process.env, homedir: homedir(), cwd: process.cwd() };
}
