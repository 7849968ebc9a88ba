import type { CompiledBackend, RoutingTable } from "../../compile/routing-table.js";
import type { ModelEntry } from "../model-entry.js";
import { refuse, type ActionResult } from "./action-result.js";

/** A profile for a model no profile names, as written into mallex.yaml (its keys as the schema spells them). */
export interface NewProfile {
  name: string;
  fields: Record<string, unknown>;
}

/** Which servers load which files: a GGUF by mallex's engine or llama-server, an MLX folder by mlx-lm. */
const FLAVORS: Record<ModelEntry["format"], readonly string[]> = { gguf: ["embedded", "llama-server"], mlx: ["mlx-lm"] };

/**
 * Pure: the profile that runs a model found on this machine, from what its own files say — its
 * parameters (the size class that picks trimming and tools: small under 20B, medium under 60B, as the
 * shipped profiles are, else large; small when not known), its trained context — on a backend mallex
 * starts that loads its format: the tier's own where it does (`prefer`), else the config's first such
 * backend, mallex's engine before llama-server. Named after the model, unlike any profile there.
 */
export function newProfileFor(entry: ModelEntry, table: RoutingTable, prefer?: string): ActionResult<NewProfile> {
  const serves = (backend: CompiledBackend | undefined) =>
    backend?.kind === "openai" && backend.supervise !== undefined && FLAVORS[entry.format].includes(backend.flavor);
  const candidates = Object.keys(table.backends)
    .filter((name) => serves(table.backends[name]))
    .sort((a, b) => FLAVORS[entry.format].indexOf(table.backends[a]!.flavor) - FLAVORS[entry.format].indexOf(table.backends[b]!.flavor));
  const backend = prefer !== undefined && candidates.includes(prefer) ? prefer : candidates[0];
  if (backend === undefined || entry.path === null)
    return refuse(
      422,
      `no backend of the config runs ${entry.format === "gguf" ? "a GGUF file (flavor embedded or llama-server, with supervise:)" : "an MLX folder (flavor mlx-lm, with supervise:)"}: add one to mallex.yaml to put ${entry.name} on a tier`,
    );
  const paramsB = entry.params === null ? undefined : Number((entry.params / 1e9).toPrecision(3));
  const fields: Record<string, unknown> = {
    description: `${entry.name}${entry.quantization === null ? "" : `, ${entry.quantization}`}: added on the dashboard's Models page`,
    backend,
    model: entry.format === "mlx" ? (hubRepoOf(entry.path) ?? entry.path) : entry.path,
    ...(paramsB !== undefined && paramsB > 0 ? { params_b: paramsB } : {}),
    size: paramsB === undefined || paramsB < 20 ? "small" : paramsB < 60 ? "medium" : "large",
    ...(entry.contextLength !== null && entry.contextLength >= 512 ? { context_window: entry.contextLength } : {}),
  };
  return { ok: true, value: { name: freeName(entry.name, table), fields } };
}

/** An MLX folder of the Hugging Face cache by its repository id (`models--org--name/snapshots/…` → org/name), as mlx-lm finds it. */
function hubRepoOf(path: string): string | undefined {
  const match = /(?:^|[\\/])models--([^\\/]+?)--([^\\/]+)[\\/]snapshots[\\/]/.exec(path);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** The model's name as a profile name (letters, digits, `.`, `_`, `-`), lower case, with `-2`, `-3`… where it is taken. */
function freeName(model: string, table: RoutingTable): string {
  const base =
    model
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+|-+$/g, "") || "local-model";
  let name = base;
  for (let n = 2; table.profiles[name] !== undefined; n++) name = `${base}-${n}`;
  return name;
}
