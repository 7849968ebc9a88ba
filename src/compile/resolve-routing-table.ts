import type { Backend, MallexConfig, Profile, Size } from "../../generated/config.js";
import { compileDistributed, type PathBase } from "./compile-distributed.js";
import { globToRegex } from "./glob-to-regex.js";
import { budgetWithin } from "../shared/context/answer-reserve.js";
import {
  ROUTING_TABLE_FORMAT,
  SIZES,
  TIER_ORDER,
  type CompiledBackend,
  type CompiledFilter,
  type CompiledProfile,
  type RoutingTable,
} from "./routing-table.js";

export interface TableInputs {
  hash: string;
  sources: RoutingTable["sources"];
  env: string[];
  templates: RoutingTable["templates"];
  /** What a backend's relative paths (a distributed hostfile) are relative to: the folder of the file that declares it. */
  pathsOf(backendName: string): PathBase;
}

const seconds = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));

/**
 * Turns a validated config into the routing table. Validation applied the schema's `default`s
 * (ajv useDefaults), so every field that has one is present: the `!`s below rely on that, and the
 * defaults live in the schema only. Pure: the same
 * config always gives the same table, key order included, so generated/ is byte-identical.
 */
export function resolveRoutingTable(config: MallexConfig, inputs: TableInputs): RoutingTable {
  const server = config.server!;
  const routing = config.routing!;
  const classifier = config.classifier!;
  const observability = config.observability!;
  return {
    format: ROUTING_TABLE_FORMAT,
    hash: inputs.hash,
    sources: inputs.sources,
    env: inputs.env,
    server: omitUndefined({
      host: server.host!,
      port: server.port!,
      authToken: server.auth_token,
      requestTimeoutMs: seconds(server.request_timeout_s!)!,
      answerTimeoutMs: seconds(server.answer_timeout_s!)!,
      allowedHosts: server.allowed_hosts!,
      corsOrigins: server.cors_origins!,
      maxBodyBytes: Math.round(server.max_body_mb! * 1024 * 1024),
      maxInFlightPerBackend: server.max_in_flight_per_backend,
      maxWaitingPerBackend: server.max_waiting_per_backend,
    }),
    backends: mapValues(config.backends ?? {}, (backend, name) => resolveBackend(backend, inputs.pathsOf(name))),
    profiles: mapValues(config.profiles ?? {}, resolveProfile),
    // Absent when the config says nothing: the budget is then 75% of the RAM of the machine that runs it.
    ...(config.memory?.budget_gb !== undefined || config.memory?.together !== undefined
      ? { memory: omitUndefined({ budgetGb: config.memory.budget_gb, together: config.memory.together }) }
      : {}),
    tiers: Object.fromEntries(
      TIER_ORDER.flatMap((tier) => {
        const entry = config.tiers?.[tier];
        return entry ? [[tier, omitUndefined({ profile: entry.profile, fallback: entry.fallback, maxTtftMs: seconds(entry.max_ttft_s) })]] : [];
      }),
    ) as RoutingTable["tiers"],
    routing: {
      defaultTier: routing.default_tier!,
      models: (routing.models ?? []).map((rule) => ({ glob: rule.match, pattern: globToRegex(rule.match), tier: rule.tier })),
      aliases: Object.entries(config.profiles ?? {}).flatMap(([name, profile]) =>
        (profile.aliases ?? []).map((glob) => ({ glob, pattern: globToRegex(glob), profile: name })),
      ),
      stickyEscalation: routing.sticky_escalation!,
      escalateOnStall: routing.escalate_on_stall!,
    },
    intents: (config.intents ?? []).map((intent) => {
      const flags = intent.match.flags!;
      return omitUndefined({
        id: intent.id,
        description: intent.description,
        route: intent.tier !== undefined ? { tier: intent.tier } : { escalate: intent.escalate ?? 1 },
        prompt: (intent.match.prompt ?? []).map((source) => ({ source, flags })),
        notPrompt: (intent.match.not_prompt ?? []).map((source) => ({ source, flags })),
        minChars: intent.match.min_chars,
        maxChars: intent.match.max_chars,
        turn: intent.match.turn,
        hasImages: intent.match.has_images,
        minTokens: intent.match.min_tokens,
        effort: intent.match.effort,
      });
    }),
    classifier: omitUndefined({
      mode: classifier.mode!,
      profile: classifier.profile,
      template: classifier.template,
      timeoutMs: classifier.timeout_ms!,
    }),
    trimming: bySize((size) => {
      const trimming = config.trimming?.[size];
      return omitUndefined({
        // No trimming declared for a size: its prompt goes through as Claude Code wrote it.
        passthrough: trimming === undefined || trimming.passthrough!,
        systemTemplate: trimming?.system_template,
        contextTemplate: trimming?.context_template,
        keep: (trimming?.keep ?? []).map((rule) =>
          omitUndefined({
            id: rule.id,
            heading: rule.heading,
            pattern: rule.pattern === undefined ? undefined : { source: rule.pattern, flags: rule.flags! },
            maxChars: rule.max_chars,
          }),
        ),
        toolResultMaxChars: trimming?.tool_result_max_chars,
        relativePaths: trimming?.relative_paths ?? false,
        claudeMd: trimming?.claude_md ?? "conversation",
      });
    }),
    filters: resolveFilters(config),
    tools: bySize((size) => {
      const policy = config.tools![size]!;
      return omitUndefined({
        template: policy.template,
        allow: policy.allow,
        drop: (policy.drop ?? []).map((glob) => ({ glob, pattern: globToRegex(glob) })),
        stubDescriptions: policy.stub_descriptions!,
        stubClientDescriptions: policy.stub_client_descriptions!,
        maxDescriptionChars: policy.max_description_chars,
        simplifySchemas: policy.simplify_schemas!,
        propertyDescriptionMaxChars: policy.property_description_max_chars,
        dropParams: policy.drop_params,
      });
    }),
    templates: inputs.templates,
    observability: omitUndefined({
      logLevel: observability.log_level!,
      requestLog: observability.request_log!,
      logFile: observability.log_file,
      logMaxBytes: observability.log_max_bytes!,
      logMaxFiles: observability.log_max_files!,
      saveLastRequest: observability.save_last_request!,
      dashboardPrompts: observability.dashboard_prompts!,
    }),
  };
}

export function resolveBackend(backend: Backend, paths?: PathBase): CompiledBackend {
  const supervise = backend.supervise;
  return omitUndefined({
    kind: backend.kind,
    flavor: backend.flavor!,
    baseUrl: backend.base_url ?? backend.urls?.[0] ?? (backend.kind === "anthropic" ? "https://api.anthropic.com" : "http://127.0.0.1:{port}/v1"),
    urls: backend.urls,
    pool: backend.pool && {
      allowedFails: backend.pool.allowed_fails!,
      cooldownMs: seconds(backend.pool.cooldown_s)!,
      probeIntervalMs: seconds(backend.pool.probe_interval_s)!,
      moveMargin: backend.pool.move_margin!,
      moveRatio: backend.pool.move_ratio!,
    },
    apiKey: backend.api_key,
    headers: backend.headers ?? {},
    timeoutMs: seconds(backend.timeout_s),
    connectTimeoutMs: seconds(backend.connect_timeout_s),
    supervise:
      supervise &&
      omitUndefined({
        command: supervise.command,
        venv: supervise.venv,
        install: supervise.install ?? [],
        readiness: { probe: supervise.readiness!.probe!, timeoutMs: seconds(supervise.readiness!.timeout_s)! },
        idleUnloadMs: Math.round(supervise.idle_unload_minutes! * 60_000),
        wedgeTimeoutMs: seconds(supervise.wedge_timeout_s)!,
        maxRestarts: supervise.max_restarts!,
        restartWindowMs: seconds(supervise.restart_window_s)!,
        onExit: supervise.on_exit!,
        distributed: supervise.distributed && paths && compileDistributed(supervise.distributed, supervise.venv, paths),
      }),
  });
}

function resolveProfile(profile: Profile, name: string): CompiledProfile {
  return omitUndefined({
    name,
    backend: profile.backend,
    model: profile.model,
    description: profile.description,
    paramsB: profile.params_b,
    activeParamsB: profile.active_params_b,
    size: profile.size,
    minRamGb: profile.min_ram_gb,
    downloadGb: profile.download_gb,
    contextWindow: profile.context_window,
    // A declared window bounds the prompt as a discovered one does (fit-to-server-facts.ts): a prompt
    // past 75% of it is trimmed or refused as "prompt is too long", never sent to a server that cannot hold it.
    inputBudget: budgetWithin(profile.context_window, profile.input_budget),
    maxOutputTokens: profile.max_output_tokens!,
    stopRepeats: profile.stop_repeats?.repeats ? { repeats: profile.stop_repeats.repeats, chars: profile.stop_repeats.chars! } : undefined,
    // Only when switched off: tables compiled before the key existed read as trimmed, as they were.
    trim: profile.trim === false ? false : undefined,
    toolMode: profile.tools!.mode!,
    // auto is the absence of a format: the translator watches every family (textToolFormat).
    toolFormat: profile.tools?.format === "auto" ? undefined : profile.tools?.format,
    workedExample: profile.tools?.worked_example === true ? true : undefined,
    forcedCallRetries: profile.tools!.forced_call_retries!,
    alwaysCall: profile.tools?.always_call === true ? true : undefined,
    retryUnknownCalls: profile.tools?.retry_unknown_calls === true ? true : undefined,
    retryEchoedResults: profile.tools?.retry_echoed_results === true ? true : undefined,
    retryInvalidJson: profile.tools?.retry_invalid_json === true ? true : undefined,
    wholeFileWrites: profile.tools?.whole_file_writes === true ? true : undefined,
    readNamedFiles: profile.tools?.read_named_files === true ? true : undefined,
    runNamedCommands: profile.tools?.run_named_commands === true ? true : undefined,
    searchNamedSymbols: profile.tools?.search_named_symbols === true ? true : undefined,
    checkAfterEdits: profile.tools?.check_after_edits === true ? true : undefined,
    endAfterEdits: profile.tools?.end_after_edits === true ? true : undefined,
    followFailures: profile.tools?.follow_failures === true ? true : undefined,
    readSmallProjects: profile.tools?.read_small_projects === true ? true : undefined,
    restateQuestions: profile.tools?.restate_questions === true ? true : undefined,
    answerFromFiles: profile.tools?.answer_from_files === true ? true : undefined,
    thinking: profile.thinking!,
    enableThinking: profile.enable_thinking,
    vision: profile.vision!,
    sampling: { ...profile.sampling } as Record<string, number>,
    draftModel: profile.draft_model,
    chatTemplateArgs: profile.chat_template_args as Record<string, unknown> | undefined,
    oneSystemMessage: profile.one_system_message === true ? true : undefined,
    engine:
      profile.engine &&
      omitUndefined({
        threads: profile.engine.threads,
        contextSize: profile.engine.context_size,
        batchSize: profile.engine.batch_size,
        gpuLayers: profile.engine.gpu_layers,
        sequences: profile.engine.sequences,
        lookup: profile.engine.lookup === true ? true : undefined,
      }),
  });
}

/** Highest priority first; Array.prototype.sort is stable, so ties keep declaration order. */
function resolveFilters(config: MallexConfig): CompiledFilter[] {
  return (config.filters ?? [])
    .map((filter) =>
      omitUndefined({
        id: filter.id,
        where: filter.where,
        pattern: { source: filter.pattern, flags: filter.flags! },
        action: filter.action,
        replacement: filter.replacement,
        priority: filter.priority!,
        sizes: filter.sizes ?? [...SIZES],
        unlessOffered: filter.unless_offered,
        userText: filter.user_text === true ? (true as const) : undefined,
      }),
    )
    .sort((a, b) => b.priority - a.priority);
}

function bySize<T>(make: (size: Size) => T): Record<Size, T> {
  return { small: make("small"), medium: make("medium"), large: make("large") };
}

function mapValues<T, U>(record: Record<string, T>, map: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value, key)]));
}

/** Keeps the JSON free of `undefined` keys so optional fields are simply absent. */
function omitUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
