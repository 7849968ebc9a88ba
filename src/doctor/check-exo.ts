import { exoOrigin, instancesOfModel, pickPlacement } from "../backends/exo/exo-api.js";
import { describeErrorBody } from "../backends/post-chat-completions.js";
import type { CheckResult, DoctorDeps } from "./types.js";

export interface ExoTarget {
  name: string;
  baseUrl: string;
  model: string;
}

/**
 * An exo backend (flavor exo): exo answers, and the profile's model has an instance on its cluster
 * (then `serves` proves a token comes out, as for any server). Without one, a chat request would
 * only get exo's 404: doctor asks exo's previews instead whether mallex's placement at the first
 * request can succeed, which is the failure worth finding before Claude Code starts.
 */
export async function checkExoBackend(target: ExoTarget, deps: DoctorDeps, timeoutMs: number, serves: () => Promise<CheckResult>): Promise<CheckResult> {
  const { name, model } = target;
  const origin = exoOrigin(target.baseUrl);
  const instances = await getJson(deps, `${origin}/state/instances`, timeoutMs);
  if (!instances.ok) {
    return {
      name,
      ok: false,
      detail: `exo at ${origin}: GET /state/instances ${instances.problem}`,
      fix: "start exo on the cluster's Macs (it listens on port 52415), or correct the backend's base_url",
    };
  }
  const running = instancesOfModel(instances.body, model);
  if (running.length > 0) {
    const served = await serves();
    return { ...served, detail: `${model} has an instance on exo (${running[0]}); ${served.detail}` };
  }
  const previews = await getJson(deps, `${origin}/instance/previews?model_id=${encodeURIComponent(model)}`, timeoutMs);
  if (!previews.ok) {
    return {
      name,
      ok: false,
      detail: `exo at ${origin}: GET /instance/previews ${previews.problem}`,
      fix: `check that ${model} is a model id exo lists at ${origin}/v1/models`,
    };
  }
  const choice = pickPlacement(previews.body, model);
  if (!choice.ok) return { name, ok: false, detail: `exo at ${origin} answers, but ${model} has no instance and cannot be placed`, fix: choice.reason };
  return {
    name,
    ok: true,
    detail: `exo at ${origin} answers; ${model} has no instance yet, and mallex places it at the first request (${choice.params.sharding}, ${choice.params.instance_meta}, ${choice.nodes} machine${choice.nodes === 1 ? "" : "s"})`,
  };
}

type Got = { ok: true; body: unknown } | { ok: false; problem: string };

async function getJson(deps: DoctorDeps, url: string, timeoutMs: number): Promise<Got> {
  let response: Response;
  try {
    response = await deps.fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return { ok: false, problem: `did not answer in ${Math.round(timeoutMs / 100) / 10} s` };
    if (err.cause?.code === "ECONNREFUSED") return { ok: false, problem: "found nothing listening (connection refused)" };
    return { ok: false, problem: `failed: ${err.cause?.message ?? err.message}` };
  }
  const text = await response.text();
  if (!response.ok) return { ok: false, problem: `answered ${response.status}: ${describeErrorBody(text)}` };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, problem: `answered something that is not JSON: ${text.slice(0, 80)}` };
  }
}
