import { realpathSync } from "node:fs";
import { isAbsolute } from "node:path";
import { TIER_ORDER } from "../../compile/routing-table.js";
import { listModels, type ListModelsOptions } from "../list-models.js";
import type { ModelPlaceDeps } from "../locate-profile-model.js";
import type { ModelEntry } from "../model-entry.js";
import { readFields, refuse, type ActionResult } from "./action-result.js";
import { addProfile, setTierProfile } from "./edit-config-text.js";
import { newProfileFor, type NewProfile } from "./new-profile.js";
import { unifiedDiff } from "./unified-diff.js";
import { compileUserConfig, readUserConfig, type UserConfig } from "./user-config.js";

export interface TierChangeDeps extends ModelPlaceDeps {
  config: UserConfig;
  /** This machine's memory as the OS reports it (setup/detect-hardware.ts); 0 when unknown. */
  ramGb: number;
  /** The models of this machine (list-models.ts by default; a test gives its own). */
  listModels?: (options: ListModelsOptions) => Promise<readonly ModelEntry[]>;
}

/** A change to the user's mallex.yaml, checked and not yet written: what the page shows before the user says apply. */
export interface TierPlan {
  /** The file the change is for (a link's target). */
  file: string;
  /** sha256 of the file as the plan read it: applyTierChange writes only over that same text. */
  hash: string;
  newText: string;
  /** The change as a unified diff of the file. */
  diff: string;
  tier: string;
  /** The profile the tier runs now, and the one it will run. */
  from: string | null;
  profile: string;
  /** The profile added for a model no profile named. */
  added: NewProfile | null;
  /** The model that profile runs, as `mallex models` lists it; null for a profile of a server mallex does not start. */
  model: ModelEntry | null;
}

/**
 * Plans putting a model (`model`: its file or folder, as `mallex models` lists it) or a profile on a
 * tier: the tier's profile set in the user's mallex.yaml — a profile added first for a model no
 * profile names — and the new text compiled exactly as `mallex compile` will compile it. Refused,
 * with the reason, when the request is malformed, the config is mallex's default or has errors
 * already, the model is unknown, unreadable or does not fit this machine's memory, or the config would
 * not compile after the change. Reads; writes nothing.
 */
export async function planTierChange(body: unknown, deps: TierChangeDeps): Promise<ActionResult<TierPlan>> {
  const request = readFields(body, { required: ["tier"], optional: ["model", "profile"] });
  if (!request.ok) return request;
  const { tier, model, profile } = request.value;
  if (!(TIER_ORDER as readonly string[]).includes(tier)) return refuse(400, `there is no tier ${JSON.stringify(tier)}: the tiers are ${TIER_ORDER.join(", ")}`);
  if ((model === undefined) === (profile === undefined))
    return refuse(400, "name either the model to put on the tier (model: its path) or a profile (profile: its name), one of the two");
  const current = readUserConfig(deps.config);
  if (!current.ok) return current;
  const compiled = compileUserConfig(deps.config);
  if (!compiled.ok)
    return refuse(409, [`${deps.config.file} has errors already; fix them (mallex compile shows them), then change its tiers:`, ...compiled.errors].join("\n"));
  const table = compiled.table;
  const from = table.tiers[tier as (typeof TIER_ORDER)[number]]?.profile ?? null;
  const models = await (deps.listModels ?? listModels)({
    table,
    ramGb: deps.ramGb,
    env: deps.env,
    homedir: deps.homedir,
    cwd: deps.cwd,
    mallexHome: deps.mallexHome,
  });

  let target: { profile: string; added: NewProfile | null; model: ModelEntry | null };
  if (profile !== undefined) {
    if (table.profiles[profile] === undefined)
      return refuse(404, `the config has no profile ${JSON.stringify(profile)} (it has ${Object.keys(table.profiles).join(", ")})`);
    target = { profile, added: null, model: models.find((entry) => entry.profiles.includes(profile)) ?? null };
  } else {
    const entry = findModel(models, model!);
    if (!entry.ok) return entry;
    const prefer = from === null ? undefined : table.profiles[from]?.backend;
    const named = entry.value.profiles.find((name) => table.profiles[name]?.backend === prefer) ?? entry.value.profiles[0];
    if (named !== undefined) target = { profile: named, added: null, model: entry.value };
    else {
      const made = newProfileFor(entry.value, table, prefer);
      if (!made.ok) return made;
      target = { profile: made.value.name, added: made.value, model: entry.value };
    }
  }
  const fit = target.model;
  if (fit?.fits === false)
    return refuse(
      422,
      `${fit.name} needs about ${fit.needsGb} GB of memory and this machine has ${deps.ramGb} GB: it does not fit, so mallex does not put it on a tier (a smaller quantization or model does)`,
    );
  if (from === target.profile) return refuse(409, `tier ${tier} runs profile ${from} already: there is nothing to change`);

  const added = target.added;
  const withProfile = added === null ? { ok: true as const, text: current.value.text } : addProfile(current.value.text, added.name, added.fields);
  const edit = withProfile.ok ? setTierProfile(withProfile.text, tier, target.profile) : withProfile;
  if (!edit.ok) return refuse(422, `${deps.config.file}: ${edit.message}`);
  const next = compileUserConfig(deps.config, edit.text);
  if (!next.ok)
    return refuse(422, [`putting ${target.profile} on tier ${tier} would leave ${deps.config.file} invalid, so it is not written:`, ...next.errors].join("\n"));
  if (next.table.tiers[tier as (typeof TIER_ORDER)[number]]?.profile !== target.profile)
    return refuse(
      422,
      `${deps.config.file} would set tier ${tier} to ${target.profile}, but another file of the config sets it after it: change that file instead`,
    );
  return {
    ok: true,
    value: {
      file: current.value.path,
      hash: current.value.hash,
      newText: edit.text,
      diff: unifiedDiff(current.value.text, edit.text, { from: current.value.path, to: current.value.path }),
      tier,
      from,
      profile: target.profile,
      added,
      model: target.model,
    },
  };
}

/** The model at `path` among those `mallex models` lists (the same file by any path); nothing else can be put on a tier. */
function findModel(models: readonly ModelEntry[], path: string): ActionResult<ModelEntry> {
  const unknown = refuse(
    404,
    `mallex found no model at ${path}: a model on a tier is one \`mallex models\` lists (a GGUF under MALLEX_HOME/models, a model of the Hugging Face cache, a profile's model)`,
  );
  if (!isAbsolute(path)) return unknown;
  const real = realPath(path);
  const entry = models.find((model) => model.path !== null && realPath(model.path) === real);
  if (entry === undefined) return unknown;
  if (entry.state !== "on disk")
    return refuse(409, `${entry.name} cannot go on a tier: it is ${entry.state}${entry.problem === null ? "" : ` (${entry.problem})`}`);
  return { ok: true, value: entry };
}

function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
