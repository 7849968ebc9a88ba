import type { EffortLevel, Size, TierName } from "../../generated/config.js";
import type { ConfigFileRef } from "../shared/in-config-file.js";

/** Bumped whenever the compiler's output changes shape, so older generated/ folders are recompiled. */
export const ROUTING_TABLE_FORMAT = 7;

export const TIER_ORDER: readonly TierName[] = ["low", "medium", "high"];
export const SIZES: readonly Size[] = ["small", "medium", "large"];

/** The flag mallex adds for a profile's draft_model to the server it starts, by flavor; any other server gets it only through {draft_model}. */
export const DRAFT_MODEL_FLAGS: Readonly<Record<string, string>> = { "mlx-lm": "--draft-model", embedded: "--model-draft" };
/** The tool-call formats `tools.worked_example` is written in (build-template-contexts.ts): those whose calls and results are plain to write. */
export const EXAMPLE_FORMATS = ["hermes", "qwen3-coder", "mallex-xml"] as const;
export type ExampleFormat = (typeof EXAMPLE_FORMATS)[number];

export function isExampleFormat(format: string | undefined): format is ExampleFormat {
  return (EXAMPLE_FORMATS as readonly string[]).includes(format ?? "");
}

/** The format a profile's worked example is written in: its named tools.format, else in xml mode mallex-xml (what the tools template teaches); in native mode none. */
export function exampleFormatOf(toolMode: string | undefined, toolFormat: string | undefined): string | undefined {
  return toolFormat ?? (toolMode === "xml" ? "mallex-xml" : undefined);
}

/** A regex kept as source: the table is JSON, the runtime compiles it once at load. */
export interface CompiledRegex {
  source: string;
  flags: string;
}

export interface CompiledBackend {
  kind: "openai" | "anthropic";
  flavor: string;
  /** May contain {port} when supervised. */
  baseUrl: string;
  /** Several equivalent servers (`urls:`), pooled; baseUrl is then the first. */
  urls?: string[];
  /** `pool:` as written (its defaults applied); absent: the pool's defaults (POOL_DEFAULTS, POOL_BALANCE_DEFAULTS). */
  pool?: CompiledPoolSettings;
  /** Unresolved `${VAR}` text or a literal; resolved from the environment at run time. */
  apiKey?: string;
  headers: Record<string, string>;
  /** Longest silence (headers, then between body chunks); absent: server.requestTimeoutMs. */
  timeoutMs?: number;
  /** Longest wait for the connection; absent: 10 s or timeoutMs when shorter. */
  connectTimeoutMs?: number;
  supervise?: {
    command: string;
    venv?: boolean | string;
    install: string[];
    readiness: { probe: "generate" | "health"; timeoutMs: number };
    /** 0: never unload. */
    idleUnloadMs: number;
    wedgeTimeoutMs: number;
    maxRestarts: number;
    restartWindowMs: number;
    onExit: "stop" | "keep" | "ask";
    /** mlx-lm across several Macs through mlx.launch (see src/backends/mlx-distributed.ts). */
    distributed?: CompiledDistributed;
    /** Set at run time only, never compiled: the embedded engine's per-start secret (with-engine-token.ts). */
    engineToken?: string;
    /** Set at run time only, with engineToken: the engine's body limit, from the proxy's server.max_body_mb (with-engine-token.ts). */
    engineMaxBodyBytes?: number;
  };
}

/** The compiled `supervise.distributed:` block. */
export interface CompiledDistributed {
  /** Absolute path of mlx.launch's JSON hostfile. */
  hostfile: string;
  backend: "ring" | "jaccl";
  pipeline: boolean;
  /** The mlx.launch program (may use {venv}). */
  launcher: string;
  /** Where rank 0's HTTP server is reached when it runs on another machine; absent: this machine. */
  rank0Host?: string;
}

/** How a backend's servers are shared (see src/backends/pool/backend-pool.ts). */
export interface CompiledPoolSettings {
  /** Failures in a row that cool a server down. */
  allowedFails: number;
  cooldownMs: number;
  /** GET /models while cooling; 0: no probe. */
  probeIntervalMs: number;
  /** A session moves only when its server has this many more requests than the least loaded… */
  moveMargin: number;
  /** …and more than this many times as many. */
  moveRatio: number;
}

export interface CompiledProfile {
  name: string;
  backend: string;
  model: string;
  description?: string;
  paramsB?: number;
  /** Parameters used per token (a mixture of experts); absent: all of paramsB. */
  activeParamsB?: number;
  size: Size;
  minRamGb?: number;
  /** The model's files as the hub lists them, in GB (10^9 bytes). */
  downloadGb?: number;
  contextWindow?: number;
  inputBudget?: number;
  maxOutputTokens: number;
  /** An answer whose end repeats one piece this often, in this many characters, is stopped (watch-repeats.ts); absent: never. */
  stopRepeats?: { repeats: number; chars: number };
  /** `trim: false`: the request goes to the model untrimmed (see untrimmedPlan); absent: trimmed. */
  trim?: false;
  toolMode: "native" | "xml";
  toolFormat?: string;
  /** The system template shows one call, its result and the answer after it, in the model's format (build-template-contexts.ts). */
  workedExample?: boolean;
  /** Corrective retries for a forced tool_choice the server cannot enforce (see forced-tool-call.ts). */
  forcedCallRetries: number;
  /** Every answer to a request with tools is a call, words through the Reply tool (reply-tool.ts). */
  alwaysCall?: boolean;
  /** An answer that writes a call to a tool the request does not offer is asked for again (retry-unknown-calls.ts). */
  retryUnknownCalls?: boolean;
  /** An answer whose Write or Edit would put a tool's own message into a file is asked for again; still so, that call is not passed on (retry-echoed-results.ts). */
  retryEchoedResults?: boolean;
  /** An answer whose Write or Edit (or code block made a Write) would leave a JSON file unparsable is asked for again, once (retry-invalid-json.ts). */
  retryInvalidJson?: boolean;
  /** An answer that is a file just read, rewritten whole in a code block, becomes a Write of it (whole-file-write.ts). */
  wholeFileWrites?: boolean;
  /** The files a user's request names are read by mallex before the model is asked (read-named-files.ts). */
  readNamedFiles?: boolean;
  /** The commands a user's request asks to run are run by mallex before the model is asked (run-named-commands.ts). */
  runNamedCommands?: boolean;
  /** A name of the code a user's request quotes, with no file named, is searched by mallex, and the files found read (search-named-symbols.ts). */
  searchNamedSymbols?: boolean;
  /** After the model's edit, the commands a user's request names to run are run again by mallex, and the file asked for again while they fail (check-after-edits.ts). */
  checkAfterEdits?: boolean;
  /** Once each file a user's request is about (named to change or write, or defining the name it quotes) is changed, and it names no command, mallex ends the turn (end-after-edits.ts). */
  endAfterEdits?: boolean;
  /** After a command a user's request names fails, mallex reads the files its output points at, then those they load (follow-failures.ts). */
  followFailures?: boolean;
  /** A request about the project that names nothing to look at: mallex lists the project's files, and reads them where they are few (read-small-projects.ts). */
  readSmallProjects?: boolean;
  /** After the Reads that follow a user's question, the question is asked again (ask-whole-file.ts). */
  restateQuestions?: boolean;
  /** A question after its Reads is sent alone, with the files read and no tools (ask-whole-file.ts). */
  answerFromFiles?: boolean;
  thinking: "strip" | "expose";
  enableThinking?: boolean;
  vision: boolean;
  sampling: Record<string, number>;
  draftModel?: string;
  chatTemplateArgs?: Record<string, unknown>;
  /** The chat template takes a system message only first: a session's context joins the system prompt (convertSystem). */
  oneSystemMessage?: boolean;
  /** The embedded engine's settings (flavor embedded); absent: its defaults. */
  engine?: CompiledEngineOptions;
  /**
   * Set at run time only, never compiled: the name of the model that serves this profile in place of
   * the one it declares (`--embedded x.gguf`: `x`), which Claude Code's header, the request log and the
   * dashboard show; absent, the profile's own name stands for its model.
   */
  servedName?: string;
  /** Set at run time only: the billions of parameters of the model that serves it (its GGUF's header), where known. */
  servedParamsB?: number;
}

/** How `mallex engine` runs a model: passed to it as flags. */
export interface CompiledEngineOptions {
  threads?: number;
  contextSize?: number;
  batchSize?: number;
  gpuLayers?: number | "auto" | "max";
  sequences?: number;
  /** Prompt-lookup speculative decoding (`--lookup`). */
  lookup?: boolean;
  /** contextSize was planned for this machine (with-embedded-model.ts), not given: a GPU fallback may plan it again, smaller. */
  contextPlanned?: boolean;
}

export interface CompiledTier {
  profile: string;
  fallback?: TierName;
  /** `max_ttft_s`: a request predicted to wait longer for its first token escalates (see select-route.ts). */
  maxTtftMs?: number;
}

export interface CompiledIntent {
  id: string;
  description?: string;
  route: { tier: TierName } | { escalate: number };
  prompt: CompiledRegex[];
  notPrompt: CompiledRegex[];
  minChars?: number;
  maxChars?: number;
  turn?: "user" | "tool_result";
  hasImages?: boolean;
  minTokens?: number;
  /** The request's effort (see requestEffort) is one of these; absent: any effort, or none. */
  effort?: EffortLevel[];
}

export interface CompiledKeepRule {
  id: string;
  heading?: string;
  pattern?: CompiledRegex;
  maxChars?: number;
}

export interface CompiledTrimming {
  passthrough: boolean;
  systemTemplate?: string;
  /** What changes per session, rendered apart and sent after the system prompt and the tools (buildSystemPrompt). */
  contextTemplate?: string;
  keep: CompiledKeepRule[];
  toolResultMaxChars?: number;
  /** CLAUDE.md labels' paths relative to the working directory (relativeContextPaths). */
  relativePaths?: boolean;
  /** Where the CLAUDE.md files Claude Code shows go: as it sends them, or into the system prompt (findClaudeMd). */
  claudeMd?: "conversation" | "system_prompt";
}

export type FilterTarget = "system" | "reminder" | "system_message" | "tool_result";

export interface CompiledFilter {
  id: string;
  where: FilterTarget[];
  pattern: CompiledRegex;
  action: "drop" | "unwrap" | "replace";
  replacement?: string;
  priority: number;
  sizes: Size[];
  /** The filter runs only when none of these tools is offered to the model. */
  unlessOffered?: string[];
  /** What it keeps is the user's text (CLAUDE.md): its unit's kept length is reported on its hit. */
  userText?: true;
}

/**
 * How one size shapes the tools: `allow` and `stubDescriptions` act on Claude Code's built-in tools
 * only (src/shared/claude-code-tools.ts); every other tool is the client's and is kept unless a `drop`
 * glob names it.
 */
export interface CompiledToolPolicy {
  template?: string;
  /** Claude Code's built-in tools the model sees; absent: all of them. */
  allow?: string[];
  /** Tools removed whatever they are, as written and as the regex the runtime matches names with. */
  drop: Array<{ glob: string; pattern: CompiledRegex }>;
  /** Built-in tools' descriptions cut to their first paragraph (true) or their first sentence. */
  stubDescriptions: boolean | "sentence";
  /** Other tools' descriptions too. */
  stubClientDescriptions: boolean;
  /** Every tool's description. */
  maxDescriptionChars?: number;
  simplifySchemas: boolean;
  /** With simplifySchemas: the longest property description kept (default PROPERTY_DESCRIPTION_MAX_CHARS). */
  propertyDescriptionMaxChars?: number;
  /** Optional top-level parameters not shown to the model, as `Tool.param`. */
  dropParams?: string[];
}

/** The compiled form of mallex.yaml: everything the runtime may do is decided here. */
export interface RoutingTable {
  format: typeof ROUTING_TABLE_FORMAT;
  /** Hash of every input (sources, environment values read, format): the runtime recompiles when it differs. */
  hash: string;
  /** Every file the table was compiled from, relative to the output folder, with its content hash. */
  sources: Array<{ path: string; sha256: string }>;
  /** Environment variables read while compiling (their values are part of the hash). */
  env: string[];
  server: {
    host: string;
    port: number;
    authToken?: string;
    requestTimeoutMs: number;
    /** Longest one answer may take in all (server.answer_timeout_s). */
    answerTimeoutMs: number;
    /** Host names a request may name besides the loopback ones and `host` (DNS rebinding guard). */
    allowedHosts: string[];
    /** Browser origins allowed to call mallex (CORS); mallex's own origin always is. */
    corsOrigins: string[];
    maxBodyBytes: number;
    /** The bounded queue in front of each local backend, as the user set it; absent: from its capacity (backend-capacity.ts). */
    maxInFlightPerBackend?: number;
    maxWaitingPerBackend?: number;
  };
  backends: Record<string, CompiledBackend>;
  profiles: Record<string, CompiledProfile>;
  /** `memory:` (supervisor/memory/memory-budget.ts); absent when the config sets neither key. */
  memory?: {
    /** Absent: 75% of this machine's RAM, decided when mallex starts. */
    budgetGb?: number;
    /** Groups of profile names that may stay loaded together; absent: any that fit. */
    together?: string[][];
  };
  tiers: Record<TierName, CompiledTier>;
  routing: {
    defaultTier: TierName;
    models: Array<{ glob: string; pattern: CompiledRegex; tier: TierName }>;
    aliases: Array<{ glob: string; pattern: CompiledRegex; profile: string }>;
    stickyEscalation: boolean;
    /** `escalate_on_stall`: a request whose history shows the model stuck goes one tier up (see detect-stall.ts). */
    escalateOnStall: boolean;
  };
  intents: CompiledIntent[];
  classifier: { mode: "rules" | "model"; profile?: string; template?: string; timeoutMs: number };
  trimming: Record<Size, CompiledTrimming>;
  /** Highest priority first; equal priorities keep their declaration order. */
  filters: CompiledFilter[];
  tools: Record<Size, CompiledToolPolicy>;
  /** Template names → their source file (relative to the output folder); code is in templates.mjs. */
  templates: Record<string, { source: string; sha256: string }>;
  observability: {
    logLevel: "debug" | "info" | "warn" | "error" | "silent";
    requestLog: boolean;
    logFile?: string;
    /** Rotation of the log file (absent in tables compiled before it was configurable). */
    logMaxBytes?: number;
    logMaxFiles?: number;
    /** Save each request in MALLEX_HOME/last-request/ (absent in tables compiled before it was configurable: saved). */
    saveLastRequest?: boolean;
    /** Show prompt text in the dashboard at /ui (absent in tables compiled before it existed: hidden). */
    dashboardPrompts?: boolean;
  };
  /** Where each tier, profile, intent and filter was written (`tiers.medium` → `mallex.yaml:42`, relative to the config's folder), for the dashboard; absent in tables compiled before it was kept. */
  origins?: Record<string, string>;
  /**
   * Set at run time only, never compiled: the config file this table was compiled from, so that a
   * notice naming a profile's setting says which file to change (shared/in-config-file.ts).
   */
  configFile?: ConfigFileRef;
}
