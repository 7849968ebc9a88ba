import { dirname, join } from "node:path";
import type { CompiledProfile } from "../compile/routing-table.js";
import type { OpenAIChatRequest } from "../translate/openai-types.js";
import { makePrivateDirAsync } from "../shared/files/private-files.js";
import { writeFileAtomicAsync } from "../shared/files/write-file-atomic.js";
import { dictionary, isRecord, readProfileFile, type ByProfile } from "./read-profile-file.js";

/** The file in MALLEX_HOME that keeps each profile's stable prefix across restarts. */
export const STABLE_PREFIXES_FILE = "stable-prefixes.json";
const FORMAT = 1;

export const stablePrefixesPath = (mallexHome: string) => join(mallexHome, STABLE_PREFIXES_FILE);

/**
 * What starts every upstream request of a profile, whatever the session: the system prompt and the
 * tools, when the request sends a session's context after them (convertSystem's second system
 * message). That is what a server prefills once for all sessions.
 */
export interface StablePrefix {
  system: string;
  tools?: OpenAIChatRequest["tools"];
  /** A call asked for of every answer (tools.always_call) renders another prompt on the embedded engine: the warm-up asks the same. */
  tool_choice?: OpenAIChatRequest["tool_choice"];
  model?: string;
  chat_template_kwargs?: OpenAIChatRequest["chat_template_kwargs"];
}

/**
 * The last stable prefix each profile's requests began with, keyed by profile and model, kept in
 * MALLEX_HOME so that a server that starts (or restarts) can be given it before the first session
 * asks: see warmPromptCache.
 */
export interface StablePrefixes {
  /** Takes the prefix of a request that has one (and says whether it had); written to the file only when it changed. */
  remember(profile: Pick<CompiledProfile, "name" | "model">, request: OpenAIChatRequest): boolean;
  /** The request that prefills the profile's prefix (one token of answer), or undefined when none is known. */
  warmRequest(profile: Pick<CompiledProfile, "name" | "model">): OpenAIChatRequest | undefined;
  /** The pending write, if any (the proxy's close). */
  flush(): Promise<void>;
}

export interface StablePrefixesOptions {
  file: string;
  /** Told when the file cannot be read or written: a log line, never a failed request. */
  onError(message: string): void;
}

type Stored = ByProfile<StablePrefix>;

export function createStablePrefixes(options: StablePrefixesOptions): StablePrefixes {
  const prefixes = load(options.file, options.onError);
  // Each prefix's JSON text as last compared, by profile and model: one serialisation a request, not two.
  const texts = new Map<string, string>();
  let writing: Promise<void> = Promise.resolve();
  const write = async () => {
    try {
      await makePrivateDirAsync(dirname(options.file));
      await writeFileAtomicAsync(options.file, `${JSON.stringify({ format: FORMAT, profiles: prefixes })}\n`);
    } catch (error) {
      options.onError(`stable prompt prefixes not saved to ${options.file}: ${(error as Error).message}`);
    }
  };
  return {
    remember(profile, request) {
      const prefix = stablePrefixOf(request);
      if (prefix === undefined) return false;
      const models = (prefixes[profile.name] ??= dictionary<StablePrefix>());
      const key = `${profile.name}\u0000${profile.model}`;
      const text = JSON.stringify(prefix);
      if (text === (texts.get(key) ?? JSON.stringify(models[profile.model]))) {
        texts.set(key, text);
        return true;
      }
      texts.set(key, text);
      models[profile.model] = prefix;
      // Off the request path, one write at a time; a new prefix is rare (a new tool set or release).
      writing = writing.then(write);
      return true;
    },
    warmRequest(profile) {
      const prefix = prefixes[profile.name]?.[profile.model];
      if (prefix === undefined) return undefined;
      const { system, ...rest } = prefix;
      // The system message and tools are the prefix; the user's turn after them only closes it.
      return {
        ...rest,
        messages: [
          { role: "system", content: system },
          { role: "user", content: "Hi" },
        ],
        max_tokens: 1,
        temperature: 0,
        stream: false,
      };
    },
    flush: () => writing,
  };
}

/** The prefix of a request whose system prompt is followed by a session's own (two system messages first). */
export function stablePrefixOf(request: OpenAIChatRequest): StablePrefix | undefined {
  const [first, second] = request.messages;
  if (first?.role !== "system" || second?.role !== "system" || typeof first.content !== "string") return undefined;
  return {
    system: first.content,
    ...(request.tools !== undefined ? { tools: request.tools } : {}),
    ...(request.tool_choice !== undefined ? { tool_choice: request.tool_choice } : {}),
    ...(request.model !== undefined ? { model: request.model } : {}),
    ...(request.chat_template_kwargs !== undefined ? { chat_template_kwargs: request.chat_template_kwargs } : {}),
  };
}

/** The stored prefixes (readProfileFile): a file that is not mallex's is reported and not used. */
function load(file: string, onError: (message: string) => void): Stored {
  return readProfileFile(file, {
    format: FORMAT,
    what: "stable prompt prefixes",
    parse: parsePrefix,
    instead: "none warmed until a request brings one",
    onError,
  });
}

function parsePrefix(value: unknown, where: string): StablePrefix {
  if (!isRecord(value) || typeof value.system !== "string" || (value.tools !== undefined && !Array.isArray(value.tools)))
    throw new Error(`${where} is not a prefix`);
  return value as unknown as StablePrefix;
}
