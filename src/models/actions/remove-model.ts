import { realpathSync } from "node:fs";
import { lstat, readdir, realpath, rm, rmdir } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, sep } from "node:path";
import type { RoutingTable } from "../../compile/routing-table.js";
import { profilesInUse } from "../../doctor/profiles-in-use.js";
import { sidecarPath } from "../../engine/inspect-local-copy.js";
import { locateProfileModel, type ModelPlaceDeps } from "../locate-profile-model.js";
import { readFields, refuse, type ActionResult } from "./action-result.js";

export interface RemovedModel {
  /** Every file that went: the model (each part of a split one), its checksum sidecars, partial downloads of it. */
  removed: string[];
}

export interface RemoveModelDeps extends ModelPlaceDeps {
  /** The running config: a model a tier uses is not removed from under it. */
  table: RoutingTable;
}

/**
 * Removes a GGUF mallex keeps under MALLEX_HOME/models (its downloads, and files put there): the file
 * and, for a split model, its other parts, with their `.sha256` sidecars and any partial download of
 * them; then the folders that leaves empty, up to the models folder. Refused for any other path — not
 * absolute, with `..`, a link (to anywhere), in a folder reached through a link out of the models
 * folder, no GGUF file — and for a model a tier of the running config uses (put another one on that
 * tier first). Refused: nothing removed.
 */
export async function removeModel(body: unknown, deps: RemoveModelDeps): Promise<ActionResult<RemovedModel>> {
  const request = readFields(body, { required: ["path"] });
  if (!request.ok) return request;
  const path = request.value.path;
  const modelsDir = await realpath(join(deps.mallexHome, "models")).catch(() => undefined);
  const outside = refuse(
    400,
    `${path} is not a model mallex keeps: only a .gguf file under ${join(deps.mallexHome, "models")} can be removed here (no link, no ..)`,
  );
  if (modelsDir === undefined || !isAbsolute(path) || path.includes("\0") || path.split(/[\\/]/).includes("..") || !/\.gguf$/i.test(path)) return outside;
  // The folder as it really is (a link among its parents resolved): it must be inside the models folder itself.
  const folder = await realpath(dirname(path)).catch(() => undefined);
  if (folder === undefined || !(folder === modelsDir || folder.startsWith(`${modelsDir}${sep}`))) return outside;
  const file = join(folder, basename(path));
  const info = await lstat(file).catch(() => undefined);
  if (info === undefined) return refuse(404, `there is no model at ${path}`);
  if (!info.isFile()) return outside;

  const parts = await partsOf(file);
  for (const part of parts) {
    const partInfo = await lstat(part).catch(() => undefined);
    if (partInfo !== undefined && !partInfo.isFile()) return outside;
  }
  const user = modelsInUse(deps).find((use) => parts.includes(use.path));
  if (user !== undefined)
    return refuse(
      409,
      `${basename(file)} is the model of profile ${user.profile}, which tier ${user.tiers.join(" and ")} uses: put another model on that tier first`,
    );

  const removed: string[] = [];
  for (const part of parts) {
    const siblings = await readdir(dirname(part)).catch(() => [] as string[]);
    const partials = siblings.filter((name) => name.startsWith(`${basename(part)}.`) && name.endsWith(".part")).map((name) => join(dirname(part), name));
    for (const target of [part, sidecarPath(part), ...partials]) {
      if ((await lstat(target).catch(() => undefined)) === undefined) continue;
      await rm(target, { force: true });
      removed.push(target);
    }
  }
  for (let dir = folder; dir.startsWith(`${modelsDir}${sep}`); dir = dirname(dir)) {
    if (
      !(await rmdir(dir).then(
        () => true,
        () => false,
      ))
    )
      break;
  }
  return { ok: true, value: { removed } };
}

/** A split GGUF's parts (`x-00001-of-00003.gguf` … `x-00003-of-00003.gguf`, those present), any other file itself. */
async function partsOf(file: string): Promise<string[]> {
  const split = /^(.*)-\d{5}-of-(\d{5})\.gguf$/i.exec(basename(file));
  if (split === null) return [file];
  const count = Number(split[2]);
  const names = Array.from({ length: count }, (_, i) => `${split[1]}-${String(i + 1).padStart(5, "0")}-of-${split[2]}.gguf`);
  const present = new Set(await readdir(dirname(file)).catch(() => [] as string[]));
  return names.filter((name) => present.has(name)).map((name) => join(dirname(file), name));
}

/** The models the config's tiers run, where their servers find them (as `mallex models` places them), by real path. */
function modelsInUse(deps: RemoveModelDeps): Array<{ path: string; profile: string; tiers: string[] }> {
  return profilesInUse(deps.table).flatMap((use) => {
    if (use.backend.kind !== "openai" || use.backend.supervise === undefined) return [];
    const place = locateProfileModel(use.profile, use.backend, deps);
    const path = place.path;
    return path === null ? [] : [{ path: realpathOr(path), profile: use.profile.name, tiers: use.usedBy }];
  });
}

function realpathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
