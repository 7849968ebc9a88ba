import { DRAFT_MODEL_FLAGS, type CompiledBackend, type CompiledEngineOptions, type CompiledProfile, type RoutingTable } from "../compile/routing-table.js";
import { distributedCommand } from "./mlx-distributed.js";
import { modelOfCommand } from "../supervisor/command-model.js";
import type { ModelSizes } from "../supervisor/memory/model-sizes.js";
import type { MemoryBudget } from "../supervisor/memory/memory-budget.js";
import { createTableMemoryBudget, type TableMemoryOptions } from "../supervisor/memory/table-memory-budget.js";
import type { ServerSupervisor, SupervisedServerSpec, SupervisorEvent } from "../supervisor/types.js";
import { ENGINE_MAX_BODY_ENV, ENGINE_TOKEN_ENV } from "../engine/guard-engine-request.js";

/** The compiled `supervise:` block, as the backend declares it or as schema defaults give it. */
export type Supervision = NonNullable<CompiledBackend["supervise"]>;

export interface SupervisorPoolOptions {
  /** `--server-command`: supervise this command instead of each backend's own. */
  serverCommand?: string;
  /** The schema's defaults for a `supervise:` block, for backends `--server-command` supervises without one (required with it). */
  defaults?: Supervision;
  /** observe: pass it the supervisor's events (the memory budget measures a ready server, and learns of stops). */
  create(spec: SupervisedServerSpec, observe: (event: SupervisorEvent) => void): ServerSupervisor;
  /** Memory-aware swapping (memory: in mallex.yaml, supervisor/memory/memory-budget.ts); absent: servers start with no budget. */
  memory?: TableMemoryOptions & { sizes: ModelSizes };
}

/** The local servers mallex runs, one per backend and model, created on first use. */
export interface SupervisorPool {
  /** Backends whose URL comes from a supervisor. */
  readonly backends: ReadonlySet<string>;
  /** The supervisor for the server that runs this profile's model. */
  for(profile: CompiledProfile): ServerSupervisor;
  /** The model that server runs: the profile's, or the one `--server-command` names (nothing is started). */
  modelFor(profile: CompiledProfile): string;
  /** Every supervisor created so far. */
  all(): ServerSupervisor[];
  /** mallex is stopping: no server starts from now on (a request waiting for memory is refused). */
  close(): void;
  /** The memory budget the servers start within (absent: none). */
  readonly memory?: Pick<MemoryBudget, "budgetBytes" | "heldBytes" | "sizes">;
}

/**
 * Which backends mallex supervises: those with a `supervise:` block, and with `--server-command`
 * every OpenAI-kind backend a profile uses.
 */
export function createSupervisorPool(table: RoutingTable, options: SupervisorPoolOptions): SupervisorPool {
  const used = new Set(Object.values(table.profiles).map((p) => p.backend));
  const backends = new Set(
    Object.entries(table.backends)
      .filter(([name, b]) => b.kind === "openai" && (b.supervise !== undefined || (options.serverCommand !== undefined && used.has(name))))
      .map(([name]) => name),
  );
  const supervisors = new Map<string, ServerSupervisor>();
  const keyOf = (name: string) => {
    const profile = table.profiles[name];
    return profile && backends.has(profile.backend) ? supervisedSpec(profile, table.backends[profile.backend]!, options).key : undefined;
  };
  const memory = options.memory;
  const budget = memory && createTableMemoryBudget(table, memory, keyOf);
  return {
    backends,
    for(profile) {
      const backend = table.backends[profile.backend]!;
      const spec = supervisedSpec(profile, backend, options);
      let supervisor = supervisors.get(spec.key);
      if (!supervisor) {
        supervisor = options.create(spec, (event) => budget?.observe(spec.key, event));
        // Behind the budget, a start first makes room and each request marks the server used. Not an
        // mlx distributed server: its model is spread over several Macs, and what the budget knows of
        // its size (weights on disk, min_ram_gb, params_b) is the whole model, not this Mac's share.
        if (budget && (options.serverCommand !== undefined || backend.supervise?.distributed === undefined)) {
          // The profile's figures describe its model, not the one a --server-command runs instead.
          const own = spec.model === profile.model;
          memory!.sizes.register(spec.key, {
            model: spec.model,
            ...(own && profile.minRamGb !== undefined ? { minRamGb: profile.minRamGb } : {}),
            ...(own && profile.paramsB !== undefined ? { paramsB: profile.paramsB } : {}),
          });
          supervisor = budget.guard(supervisor);
        }
        supervisors.set(spec.key, supervisor);
      }
      return supervisor;
    },
    modelFor: (profile) => supervisedSpec(profile, table.backends[profile.backend]!, options).model,
    all: () => [...supervisors.values()],
    close: () => budget?.close(),
    ...(budget ? { memory: budget } : {}),
  };
}

/**
 * Six tokens a guess instead of mlx-lm's three: the kit's Qwen2.5-Coder 0.5B drafting for its 1.5B on
 * mlx_lm.server made a file rewritten whole 1.74× as fast (1.52× with three) and fresh code 1.57×
 * (1.39×), the same text (docs/benchmarks.md, "Speculative decoding in mlx_lm.server").
 */
const MLX_DRAFT_TOKENS = " --num-draft-tokens 6";

/** The servers that save a slot's prompt cache to a file and restore it (llama-server's --slot-save-path; the engine's, the same). */
export const SLOT_SAVING_FLAVORS: ReadonlySet<string> = new Set(["llama-server", "embedded"]);

/** What to run for one profile: the backend's command (or --server-command) with the profile's model. */
export function supervisedSpec(
  profile: CompiledProfile,
  backend: CompiledBackend,
  options: Pick<SupervisorPoolOptions, "serverCommand" | "defaults">,
): SupervisedServerSpec {
  const supervision = backend.supervise ?? options.defaults;
  if (!supervision) throw new Error(`backend ${profile.backend} has no supervise: block and no defaults were given for it (a bug in mallex)`);
  let command = options.serverCommand ?? supervision.command;
  // mlx-lm.server takes these per process, not per request; the profile decides them.
  if (options.serverCommand === undefined && backend.flavor === "mlx-lm") {
    if (profile.draftModel && !command.includes("{draft_model}")) command += ` ${DRAFT_MODEL_FLAGS["mlx-lm"]} {draft_model}${MLX_DRAFT_TOKENS}`;
    if (profile.chatTemplateArgs) command += ` --chat-template-args '${JSON.stringify(profile.chatTemplateArgs)}'`;
  }
  // The embedded engine takes the profile's engine settings as flags (llama-server's names, so the
  // supervisor's out-of-memory retry with half the context works on it too).
  if (options.serverCommand === undefined && backend.flavor === "embedded") {
    command += engineFlags(profile.engine ?? {});
    if (profile.draftModel && !command.includes("{draft_model}")) command += ` ${DRAFT_MODEL_FLAGS.embedded} {draft_model}`;
  }
  // A slot's prompt cache saved and restored across restarts (warm-prompt-cache.ts), where the command chose no folder of its own.
  if (options.serverCommand === undefined && SLOT_SAVING_FLAVORS.has(backend.flavor) && !/(^|\s)--slot-save-path\b/.test(command))
    command += " --slot-save-path {slot_dir}";
  // Across several Macs: mlx.launch runs the server command on every host; rank 0 answers.
  const distributed = options.serverCommand === undefined && supervision.distributed ? distributedCommand(command, supervision.distributed) : undefined;
  if (distributed) command = distributed.command;
  // A --server-command without {model} runs its own model, whatever the profile says: the messages
  // name that one, and the profiles of one backend share its single server.
  const model = (options.serverCommand === undefined ? undefined : modelOfCommand(options.serverCommand)) ?? profile.model;
  const safeModel = model.replace(/[^A-Za-z0-9._-]+/g, "_");
  const spec: SupervisedServerSpec = {
    // A --server-command's server is named after the model it runs alone: the config's backend
    // (mlx, in the shipped one) is not what runs, and every backend's profiles share that server.
    key:
      options.serverCommand !== undefined
        ? safeModel
        : `${profile.backend}--${safeModel}${backend.flavor === "embedded" ? engineKey(profile.engine ?? {}) + (profile.draftModel ? "-draft" : "") : ""}`,
    command,
    model,
    install: supervision.install,
    readiness: supervision.readiness,
    idleUnloadMs: supervision.idleUnloadMs,
    wedgeTimeoutMs: supervision.wedgeTimeoutMs,
    maxRestarts: supervision.maxRestarts,
    restartWindowMs: supervision.restartWindowMs,
  };
  if (profile.draftModel) spec.draftModel = profile.draftModel;
  if (options.serverCommand === undefined && backend.flavor === "embedded" && profile.engine?.contextPlanned === true) spec.plannedContext = true;
  if (supervision.venv !== undefined && options.serverCommand === undefined) spec.venv = supervision.venv;
  if (options.serverCommand === undefined && backend.flavor === "mlx-lm") spec.flavor = backend.flavor;
  if (distributed?.reachHost !== undefined) spec.reachHost = distributed.reachHost;
  const token = options.serverCommand === undefined ? supervision.engineToken : undefined;
  if (token !== undefined) {
    spec.env = { [ENGINE_TOKEN_ENV]: token };
    spec.probeHeaders = { authorization: `Bearer ${token}` };
  }
  const maxBody = options.serverCommand === undefined ? supervision.engineMaxBodyBytes : undefined;
  if (maxBody !== undefined) spec.env = { ...spec.env, [ENGINE_MAX_BODY_ENV]: String(maxBody) };
  return spec;
}

function engineFlags(engine: CompiledEngineOptions): string {
  const flags: Array<[string, unknown]> = [
    ["--threads", engine.threads],
    ["--ctx-size", engine.contextSize],
    ["--batch-size", engine.batchSize],
    ["--gpu-layers", engine.gpuLayers],
    ["--parallel", engine.sequences],
  ];
  return flags.map(([flag, value]) => (value === undefined ? "" : ` ${flag} ${value}`)).join("") + (engine.lookup === true ? " --lookup" : "");
}

/** Two profiles that run one GGUF with other engine settings need two engines; the same settings share one. */
function engineKey(engine: CompiledEngineOptions): string {
  const parts = [
    ["t", engine.threads],
    ["c", engine.contextSize],
    ["b", engine.batchSize],
    ["ngl", engine.gpuLayers],
    ["np", engine.sequences],
    ["lu", engine.lookup === true ? "" : undefined],
  ] as const;
  const set = parts.filter(([, value]) => value !== undefined).map(([flag, value]) => `${flag}${value}`);
  return set.length === 0 ? "" : `--${set.join("-")}`;
}
