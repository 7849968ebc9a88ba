import { resolve } from "node:path";
import type { CompiledBackend, CompiledEngineOptions, RoutingTable } from "../compile/routing-table.js";
import { ENGINE_COMMAND } from "../supervisor/server-command.js";

export interface EmbeddedOverride {
  /** A GGUF path (made absolute: the engine runs in its own working directory) or an hf: URI. */
  model: string;
  engine: CompiledEngineOptions;
  /** The schema's defaults for a `supervise:` block (supervisionFor); its command is replaced. */
  supervision: NonNullable<CompiledBackend["supervise"]>;
}

/** Output tokens kept free in the context when a profile's prompt budget is fitted to it. */
const ANSWER_RESERVE = 0.25;

/**
 * `--embedded PATH`: every local profile is served by one embedded engine running that GGUF, whatever
 * backend the config gave it (Claude tiers stay as they are). With a context size, each profile's
 * window and prompt budget shrink to fit it, so an over-long conversation is trimmed or refused as
 * "prompt is too long" (Claude Code offers /compact) instead of failing in the engine.
 */
export function withEmbeddedModel(table: RoutingTable, override: EmbeddedOverride): RoutingTable {
  const name = uniqueName(table, "embedded");
  const model = /^(hf:|https?:)/.test(override.model) ? override.model : resolve(override.model);
  const backend: CompiledBackend = { kind: "openai", flavor: "embedded", baseUrl: "http://127.0.0.1:{port}/v1", headers: {}, supervise: { ...override.supervision, command: ENGINE_COMMAND } };
  const contextSize = override.engine.contextSize;
  const profiles = Object.fromEntries(
    Object.entries(table.profiles).map(([key, profile]) => {
      if (table.backends[profile.backend]?.kind !== "openai") return [key, profile];
      const fitted = contextSize === undefined ? {} : { contextWindow: contextSize, inputBudget: Math.min(profile.inputBudget ?? Infinity, Math.floor(contextSize * (1 - ANSWER_RESERVE))) };
      return [key, { ...profile, backend: name, model, engine: override.engine, ...fitted }];
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
