import type { RuntimeBackend } from "../backends/resolve-backends.js";

/**
 * The server a speed was measured on, or an eval run was served by: what the Models page and `mallex
 * models` show beside a model's numbers (the same model is slower on a laptop's server than a GPU box's).
 */
export interface MeasuredServer {
  kind: "openai" | "anthropic";
  /** The backend's flavor: mlx, llama-server, vllm, embedded, … */
  flavor: string;
  /**
   * Where it ran: `embedded` (mallex's own engine), `started by mallex` (a server mallex supervises:
   * it listens on a new port each start, so the port says nothing), its base URL, or a pool's URLs
   * joined by ", ".
   */
  url: string;
}

/** What {@link describeServer} reads of a backend: a RuntimeBackend, or the same fields from elsewhere. */
export type ServedBy = Pick<RuntimeBackend, "kind" | "flavor" | "baseUrl" | "urls" | "supervised">;

/** Pure: the server a backend's requests go to, as {@link MeasuredServer} says it. */
export function describeServer(backend: ServedBy): MeasuredServer {
  const url = backend.supervised
    ? backend.flavor === "embedded"
      ? "embedded"
      : "started by mallex"
    : backend.urls !== undefined && backend.urls.length > 1
      ? backend.urls.join(", ")
      : (backend.baseUrl ?? "unknown");
  return { kind: backend.kind, flavor: backend.flavor, url };
}

/** Pure: a stored server checked, or a throw saying what is wrong with it (`where`: what holds it). */
export function parseMeasuredServer(value: unknown, where: string): MeasuredServer {
  const v = value as Partial<Record<keyof MeasuredServer, unknown>> | null;
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${where}: server is not an object`);
  if (v.kind !== "openai" && v.kind !== "anthropic") throw new Error(`${where}: server kind is not openai or anthropic`);
  if (typeof v.flavor !== "string" || typeof v.url !== "string") throw new Error(`${where}: server flavor or url is not text`);
  return { kind: v.kind, flavor: v.flavor, url: v.url };
}
