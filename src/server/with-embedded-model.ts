import { resolve } from "node:path";
import type { CompiledBackend, CompiledEngineOptions, RoutingTable } from "../compile/routing-table.js";
import type { ContextPlan, ContextPlanOptions } from "../engine/plan-engine-context.js";
import { fitProfileToContext } from "../router/fit-to-server-facts.js";
import { ENGINE_COMMAND } from "../compile/engine-command.js";
import { modelShortName } from "../shared/model-short-name.js";

export interface EmbeddedOverride {
  /** A GGUF path (made absolute: the engine runs in its own working directory) or an hf: URI. */
  model: string;
  engine: CompiledEngineOptions;
  /** The schema's defaults for a `supervise:` block (supervisionFor); its command is replaced. */
  supervision: NonNullable<CompiledBackend["supervise"]>;
}

/**
 * `--embedded PATH`: every local profile is served by one embedded engine running that GGUF, whatever
 * backend the config gave it (Claude tiers stay as they are). With a context size, each profile's
 * window and prompt budget shrink to fit it, so an over-long conversation is trimmed or refused as
 * "prompt is too long" (Claude Code offers /compact) instead of failing in the engine. With none, the
 * size is planned next (withPlannedContexts).
 */
export function withEmbeddedModel(table: RoutingTable, override: EmbeddedOverride): RoutingTable {
  const name = uniqueName(table, "embedded");
  const model = /^(hf:|https?:)/.test(override.model) ? override.model : resolve(override.model);
  const backend: CompiledBackend = {
    kind: "openai",
    flavor: "embedded",
    baseUrl: "http://127.0.0.1:{port}/v1",
    headers: {},
    supervise: { ...override.supervision, command: ENGINE_COMMAND },
  };
  const contextSize = override.engine.contextSize;
  const profiles = Object.fromEntries(
    Object.entries(table.profiles).map(([key, profile]) => {
      if (table.backends[profile.backend]?.kind !== "openai") return [key, profile];
      // The profile's description is of the model it declares, which no longer runs: the GGUF's name stands instead.
      const { description: _declared, ...kept } = profile;
      const served = { ...kept, backend: name, model, engine: override.engine, servedName: modelShortName(model) };
      return [key, contextSize === undefined ? served : fitProfileToContext(served, contextSize)];
    }),
  );
  return { ...table, backends: { ...table.backends, [name]: backend }, profiles };
}

/** The config's own embedded backend is replaced; another backend that happens to have the name is kept. */
function uniqueName(table: RoutingTable, base: string): string {
  let name = base;
  for (let i = 2; table.backends[name] !== undefined && table.backends[name]!.flavor !== "embedded"; i++) name = `${base}-${i}`;
  return name;
}

export interface PlanContextOptions {
  /** askContextPlan, bound to this mallex. */
  plan(options: ContextPlanOptions): Promise<ContextPlan>;
  print(line: string): void;
}

/**
 * Embedded engines started with no context size get one chosen now, before they (and Claude Code)
 * start, so everything that depends on the context — the prompt budget, /v1/models' max_input_tokens,
 * what `mallex run` tells Claude Code — is the engine's real one from the first request. Each engine
 * (one GGUF with one set of settings) is planned once, capped at the largest window its profiles
 * declare; its `--ctx-size` is the plan, so the engine holds exactly that. An hf: model not downloaded
 * yet cannot be read before it starts: it is left to what the engine reports once running.
 */
export async function withPlannedContexts(table: RoutingTable, options: PlanContextOptions): Promise<RoutingTable> {
  const groups = new Map<string, string[]>();
  for (const [key, profile] of Object.entries(table.profiles)) {
    if (table.backends[profile.backend]?.flavor !== "embedded" || profile.engine?.contextSize !== undefined || /^(hf:|https?:)/.test(profile.model)) continue;
    const group = JSON.stringify([profile.backend, profile.model, profile.engine ?? {}]);
    groups.set(group, [...(groups.get(group) ?? []), key]);
  }
  const profiles = { ...table.profiles };
  for (const keys of groups.values()) {
    const first = profiles[keys[0]!]!;
    const engine = first.engine ?? {};
    const windows = keys.map((key) => profiles[key]!.contextWindow).filter((window): window is number => window !== undefined);
    const plan = await options.plan({
      modelPath: first.model,
      ...(engine.sequences !== undefined ? { sequences: engine.sequences } : {}),
      ...(engine.gpuLayers !== undefined ? { gpuLayers: engine.gpuLayers } : {}),
      ...(engine.batchSize !== undefined ? { batchSize: engine.batchSize } : {}),
      ...(windows.length > 0 ? { maxContextSize: Math.max(...windows) } : {}),
    });
    options.print(
      `mallex: embedded engine ${first.model}: context ${plan.contextSize} tokens${plan.sequences > 1 ? ` × ${plan.sequences} sequences` : ""} (${describeLimit(plan)}; ${plan.backend === "cpu" ? `CPU, ${gigabytes(plan.freeRamBytes)} RAM free` : `${plan.backend}, ${plan.gpuLayers} layers on the GPU, ${gigabytes(plan.freeVramBytes)} VRAM free`} after the weights)`,
    );
    for (const key of keys) {
      const profile = profiles[key]!;
      const served = { ...profile, engine: { ...profile.engine, contextSize: plan.contextSize, contextPlanned: true } };
      profiles[key] = fitProfileToContext(plan.model?.paramsB === undefined ? served : { ...served, servedParamsB: plan.model.paramsB }, plan.contextSize);
    }
  }
  return { ...table, profiles };
}

function describeLimit(plan: ContextPlan): string {
  switch (plan.limitedBy) {
    case "trained context":
      return "the model's trained context";
    case "profile window":
      return `the profiles' largest context_window; the model was trained on ${plan.trainContextSize}`;
    case "memory":
      return `what fits in memory; the model was trained on ${plan.trainContextSize}`;
  }
}

function gigabytes(bytes: number): string {
  return `${(bytes / 1e9).toFixed(1)} GB`;
}
