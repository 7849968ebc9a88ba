import { BackendError } from "../backend-error.js";

/**
 * The shapes of exo's answers that mallex reads, and pure readers for them (see exo-instances.ts for
 * the calls). Each reader takes what exo sent as parsed JSON and never throws on an odd shape: what
 * it cannot read it says so, in words the user's error message can carry.
 */

/** One entry of `GET /instance/previews`: a placement exo could make, or why it cannot (`error`). */
export interface ExoPlacementPreview {
  model_id: string;
  /** "Pipeline" or "Tensor". */
  sharding: string;
  /** "MlxRing" or "MlxJaccl". */
  instance_meta: string;
  /** The instance exo would create, tagged by its class (`{"MlxRingInstance": {…}}`); null with an error. */
  instance: Record<string, unknown> | null;
  error: string | null;
}

/** What mallex sends to `POST /place_instance` (exo's PlaceInstanceParams). */
export interface ExoPlaceInstanceParams {
  model_id: string;
  sharding: string;
  instance_meta: string;
  min_nodes: number;
}

/** The placement mallex asks for, or why there is none, in one sentence. */
export type ExoPlacementChoice = { ok: true; params: ExoPlaceInstanceParams; nodes: number } | { ok: false; reason: string };

/**
 * The first placement exo proposes that has no error, as `/place_instance` parameters: its sharding,
 * its instance type, and its machine count as `min_nodes` (exo then places the same shape against
 * its state at that moment). No valid one: why, with exo's own reasons, deduplicated.
 */
export function pickPlacement(answer: unknown, model: string): ExoPlacementChoice {
  const previews = (answer as { previews?: unknown } | null)?.previews;
  if (!Array.isArray(previews)) return { ok: false, reason: `exo's /instance/previews answer has no previews list` };
  // exo answers no previews at all while its topology lists no machine.
  if (previews.length === 0)
    return { ok: false, reason: "exo sees no machine in its cluster (no placement previews): start exo on the cluster's Macs and let them find each other" };
  const valid = (previews as ExoPlacementPreview[]).find((preview) => preview?.error == null && preview?.instance != null);
  if (valid === undefined) {
    const reasons = [
      ...new Set(
        (previews as ExoPlacementPreview[]).map((preview) => preview?.error).filter((error): error is string => typeof error === "string" && error !== ""),
      ),
    ];
    return {
      ok: false,
      reason: `no placement of ${model} fits the cluster (exo says: ${reasons.join("; ") || "no reason given"}): free memory on its machines, add a machine, or pick a smaller model`,
    };
  }
  if (valid.model_id !== model) {
    // exo matches a request's model to an instance by exact id: a placement under another id would never serve it.
    return { ok: false, reason: `exo knows ${model} as ${valid.model_id}: set the profile's model to ${valid.model_id}` };
  }
  return {
    ok: true,
    params: { model_id: valid.model_id, sharding: valid.sharding, instance_meta: valid.instance_meta, min_nodes: Math.max(1, nodesOf(valid.instance)) },
    nodes: nodesOf(valid.instance),
  };
}

/** A terminal message of `GET /instance/await` (AwaitInstanceReadyMessage, AwaitInstanceTimeoutMessage). */
export type ExoAwaitMessage = { type: "ready"; instanceId: string | undefined } | { type: "timeout"; message: string } | { type: "unknown"; data: string };

/** Reads one `data:` payload of `/instance/await`; anything but ready or timeout is `unknown`. */
export function parseAwaitMessage(data: string): ExoAwaitMessage {
  let parsed: { type?: unknown; message?: unknown; instance?: unknown };
  try {
    parsed = JSON.parse(data) as typeof parsed;
  } catch {
    return { type: "unknown", data };
  }
  if (parsed?.type === "ready") return { type: "ready", instanceId: instanceIdOf(parsed.instance) };
  if (parsed?.type === "timeout") return { type: "timeout", message: typeof parsed.message === "string" ? parsed.message : "timed out" };
  return { type: "unknown", data };
}

/**
 * The ids of the instances serving `model` in exo's `GET /state/instances` (a map of instance id to
 * tagged instance). exo serializes state with camelCase aliases there and snake_case elsewhere:
 * both are read.
 */
export function instancesOfModel(instances: unknown, model: string): string[] {
  if (instances === null || typeof instances !== "object") return [];
  return Object.entries(instances as Record<string, unknown>).flatMap(([id, tagged]) => {
    const inner = untag(tagged);
    const assignments = (inner?.shardAssignments ?? inner?.shard_assignments) as Record<string, unknown> | undefined;
    const modelId = assignments?.modelId ?? assignments?.model_id;
    return modelId === model ? [id] : [];
  });
}

/**
 * True when exo refused a chat request because the model has no instance (its
 * `_validate_model_has_instance`: HTTP 404, "No instance found for model …"): the instance went away,
 * and placing it again lets the request through.
 */
export function isNoInstanceError(error: unknown): boolean {
  return BackendError.isInstance(error) && error.failure === "http" && error.status === 404 && /No instance found for model/i.test(error.body ?? error.message);
}

/** exo's own routes (/instance/…, /place_instance, /state) live at its origin, beside /v1. */
export function exoOrigin(baseUrl: string): string {
  return baseUrl.replace(/\/+$/, "").replace(/\/v1$/, "");
}

/** How many machines an instance spans: the keys of its node-to-runner map. */
function nodesOf(tagged: unknown): number {
  const inner = untag(tagged);
  const assignments = (inner?.shardAssignments ?? inner?.shard_assignments) as Record<string, unknown> | undefined;
  const nodes = assignments?.nodeToRunner ?? assignments?.node_to_runner;
  return nodes !== null && typeof nodes === "object" ? Object.keys(nodes).length : 0;
}

function instanceIdOf(tagged: unknown): string | undefined {
  const inner = untag(tagged);
  const id = inner?.instanceId ?? inner?.instance_id;
  return typeof id === "string" ? id : undefined;
}

/** exo's tagged models serialize as `{"ClassName": {…fields}}`. */
function untag(tagged: unknown): Record<string, unknown> | undefined {
  if (tagged === null || typeof tagged !== "object") return undefined;
  const values = Object.values(tagged as Record<string, unknown>);
  const only = values.length === 1 ? values[0] : undefined;
  return only !== null && typeof only === "object" ? (only as Record<string, unknown>) : (tagged as Record<string, unknown>);
}
