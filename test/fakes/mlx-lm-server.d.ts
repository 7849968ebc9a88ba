/**
 * Types of the fake mlx-lm.server (`mlx-lm-server.js`, plain JavaScript so that it can be
 * spawned with `node` as a real server command). See protocol.md §1 for the behaviour.
 */
import type { IncomingHttpHeaders } from "node:http";

/** One tool call the scripted model makes; it is emitted whole, in one chunk. */
export interface FakeToolCall {
  name: string;
  /** An object is serialised like `json.dumps(args, ensure_ascii=False)`; a string is sent verbatim. */
  arguments: Record<string, unknown> | unknown[] | string;
  /** The id a parser supplied (e.g. Kimi's `functions.Read:0`); default: a uuid4. */
  id?: string;
}

/** One scripted response, taken from the queue in order (then `respond`, then an echo). */
export interface FakeScript {
  /** Content text; a string is cut into tokens by the fake tokenizer, an array is the tokens. */
  text?: string | string[];
  /** Reasoning (`<think>` … `</think>`), sent as `reasoning` before the content. */
  reasoning?: string | string[];
  /** Parsed tool calls, after the content. Finish reason becomes "tool_calls" when the generation stops normally. */
  toolCalls?: FakeToolCall[];
  /** More content after `text`, e.g. tool-call markup the server's parser does not recognise (it leaks as content). */
  rawText?: string;
  /** Overrides the final `finish_reason`. */
  finishReason?: "stop" | "length" | "tool_calls";
  /** Overrides `usage.prompt_tokens` (default: tokens of the rendered prompt). */
  promptTokens?: number;
  /** Overrides `prompt_tokens_details.cached_tokens` (default: from the prefix cache). */
  cachedTokens?: number;
  /** Prompt processing time, during which a stream gets `: keepalive N/M` comments. */
  prefillMs?: number;
  /** Delay before each generated token (default: the server's `tokenDelayMs`). */
  tokenDelayMs?: number;
  /**
   * - `close-mid-stream`: close the socket after `failAfterTokens` tokens, no `[DONE]` (errors, Metal OOM);
   *   a non-streamed request gets no bytes at all.
   * - `hang`: a stream gets its headers, then nothing; a non-streamed request gets nothing (until `close()`).
   * - `reset-before-headers`: TCP reset before any byte.
   * - `http-error`: reply `status` (default 404, what the server sends when a generation fails to start)
   *   with `errorBody` (default `{"error": "scripted failure"}`).
   */
  failure?: "close-mid-stream" | "hang" | "reset-before-headers" | "http-error";
  /** Tokens generated before `close-mid-stream` closes the socket (default 1). */
  failAfterTokens?: number;
  /** HTTP status for `http-error`; setting it alone also means `http-error`. */
  status?: number;
  /** Body for `http-error`: a string is sent as is, anything else as JSON. */
  errorBody?: unknown;
}

/** Every request the fake received, in arrival order. */
export interface FakeRequestRecord {
  method: string;
  /** The raw request target, query string included. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, the raw text when it is not JSON, `undefined` when empty. */
  body: unknown;
  /** Set when validation failed and the socket was closed without a response: the Python exception. */
  dropped?: string;
  /** Set when the client closed the connection before the response was complete. */
  aborted?: boolean;
  /** The index in `FakeMlxServer.connections` of the connection the request came on. */
  connection: number;
  /** When the request's body had arrived (`performance.now()`). */
  receivedAt: number;
  /** For a generation: the rendered prompt and its accounting. */
  prompt?: { text: string; tokens: number; cachedTokens: number };
}

/** A model load triggered by a request (the startup load of the default model is not listed). */
export interface ModelLoadAttempt {
  /** The model the request named (or the default model, reloaded after a switch). */
  model: string;
  /** False when the model does not exist: the request got a 404 "Repository Not Found". */
  ok: boolean;
}

/** The generation parameters the server read from a valid request. */
export interface GenerationParams {
  stream: boolean;
  /** `stream_options.include_usage`; `"error"` when `stream_options` lacks it (the stream then ends without `[DONE]`). */
  includeUsage: boolean | "error";
  /** The request's `model`, `"default_model"` when absent. */
  model: string;
  maxTokens: number;
  stopWords: string[];
  enableThinking: boolean | undefined;
}

/** Progress of one generation request, for process-level failure modes (the CLI's `--oom`, `--wedge-after-requests`, ...). */
export interface GenerationEvent {
  /**
   * `queued`: validated, before the model load; `prefill`: prompt processing has started
   * (a stream has its headers and `: keepalive 0/N`); `done`: the whole response was written
   * (not after scripted failures).
   */
  phase: "queued" | "prefill" | "done";
  stream: boolean;
  record: FakeRequestRecord;
}

export interface FakeMlxServerOptions {
  /** The `--model` the server was started with; `undefined` emulates starting without one. Default: a Qwen3-Coder repo id. */
  model?: string | undefined;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** `--max-tokens`, used when a request omits `max_tokens`. Default 512. */
  maxTokens?: number;
  /** Time to load the default model at startup (and to reload any model); `/health` is ok meanwhile. Default 0. */
  loadMs?: number;
  /** The initial response queue. */
  script?: FakeScript[];
  /** Called when the queue is empty; `undefined` means the default echo of the last user message. */
  respond?: (request: FakeRequestRecord) => FakeScript | undefined | Promise<FakeScript | undefined>;
  /** `--prefill-step-size`: one keepalive comment per this many uncached prompt tokens. Default 2048. */
  prefillStepSize?: number;
  /** `--prompt-cache-size`: sequences kept in the prompt cache. Default 10. */
  promptCacheSize?: number;
  /** False emulates hybrid/SSM models whose cache cannot be trimmed (only exact prefixes are reused). Default true. */
  trimmablePromptCache?: boolean;
  /** Delay before each token, for every script that does not set its own. Default 0. */
  tokenDelayMs?: number;
  /** Prompt processing speed: a script without `prefillMs` prefills its uncached tokens at this rate. Default: instantly. */
  prefillTokensPerSecond?: number;
  /** Other models a request may name that "exist locally" (they load, after `loadMs`). */
  availableModels?: string[];
  /** What `GET /v1/models` lists (the real list comes from the Hugging Face cache). Default: `[model]`. */
  listedModels?: string[];
  /** How long the failing "download" of an unknown model takes before the 404. Default 25. */
  foreignModelDelayMs?: number;
  /** Leave `message.content` out when empty instead of `null` (what newer mlx-lm sources do). Default false. */
  omitEmptyContent?: boolean;
  /** Default `0.32.0-<mlx>-<platform>-<gpu>`. */
  systemFingerprint?: string;
  /** Injected clock (ms), for `created` and `Date`. */
  now?: () => number;
  /** Injected id source for `chatcmpl-<id>` and tool-call ids. Default `crypto.randomUUID`. */
  generateId?: () => string;
  /** Receives the server's log lines (Python logging format). Default: discarded. */
  log?: (line: string) => void;
  /** Observes generations; a returned promise is awaited (a pending one blocks the request). */
  onGeneration?: (event: GenerationEvent) => void | Promise<void>;
}

export interface FakeMlxServer {
  /** `http://127.0.0.1:PORT/v1` */
  readonly url: string;
  readonly port: number;
  /** Every request received, in order (mutated as requests arrive). */
  readonly requests: FakeRequestRecord[];
  /** Every connection accepted, in order, with when it was (`performance.now()`); the server closes each after its response. */
  readonly connections: readonly { openedAt: number }[];
  /** Model loads caused by a request's `model` field; empty while the client never names a model. */
  readonly modelLoadAttempts: ModelLoadAttempt[];
  /** Appends responses to the queue. */
  script(...responses: Array<FakeScript | FakeScript[]>): void;
  /** From now on requests hang: all of them (a frozen process), or only generations (`/health` stays ok). */
  wedge(scope?: "all" | "generation"): void;
  /** Stops listening and destroys every open connection (hanging ones included). */
  close(): Promise<void>;
}

export declare const DEFAULT_MODEL: string;
export declare const DEFAULT_SYSTEM_FINGERPRINT: string;

/** Starts a fake mlx-lm.server on 127.0.0.1, port 0 unless given. */
export declare function createFakeMlxServer(options?: FakeMlxServerOptions): Promise<FakeMlxServer>;
