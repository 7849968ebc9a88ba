import type { CompiledPoolSettings, RoutingTable } from "../compile/routing-table.js";
import { interpolateEnv, type EnvLookup } from "../config/interpolate-env.js";

/** A backend as the server uses it: URLs and secrets resolved, or the reason it cannot serve. */
export interface RuntimeBackend {
  name: string;
  kind: "openai" | "anthropic";
  flavor: string;
  /** OpenAI kinds: base URL ending in /v1; Anthropic: the API origin. */
  baseUrl?: string;
  /** Several equivalent servers (a pool, see backend-pool.ts): their base URLs; baseUrl is the first. */
  urls?: string[];
  /** The backend's `pool:` settings; they hold for its servers whether they come from urls: or --backend-url. */
  pool?: CompiledPoolSettings;
  apiKey?: string;
  headers: Record<string, string>;
  /** Longest silence (headers, then between body chunks); absent: server.request_timeout_s. */
  timeoutMs?: number;
  /** Longest wait for the connection; absent: see upstreamTimeouts. */
  connectTimeoutMs?: number;
  /** Started by mallex: the base URL comes from its supervisor, per request. */
  supervised?: boolean;
  /** Set when the backend cannot take requests, said to the user in the error. */
  unavailable?: string;
}

export interface BackendOverrides {
  /** `--backend-url`: every OpenAI-kind backend goes to this already-running server. */
  backendUrl?: string;
  /** `--backend-url` given more than once: every OpenAI-kind backend goes to this pool of servers. */
  backendUrls?: readonly string[];
  /** `--anthropic-url`: every anthropic-kind backend goes to this base URL (a gateway, a test double). */
  anthropicUrl?: string;
  /** Backends mallex starts itself: their URL is known only once the supervisor has started them. */
  supervised?: ReadonlySet<string>;
}

/** Resolves secrets from the environment now (they were kept as ${VAR} in generated/). */
export function resolveBackends(table: RoutingTable, env: EnvLookup, overrides: BackendOverrides = {}): Record<string, RuntimeBackend> {
  const secret = (text: string | undefined): string | undefined => {
    if (text === undefined) return undefined;
    const result = interpolateEnv(text, env);
    return result.ok && result.value !== "" ? result.value : undefined;
  };
  return Object.fromEntries(
    Object.entries(table.backends).map(([name, backend]) => {
      const headers = Object.fromEntries(
        Object.entries(backend.headers).flatMap(([key, value]) => {
          const resolved = secret(value);
          return resolved === undefined ? [] : [[key, resolved]];
        }),
      );
      const runtime: RuntimeBackend = { name, kind: backend.kind, flavor: backend.flavor, headers };
      if (backend.timeoutMs !== undefined) runtime.timeoutMs = backend.timeoutMs;
      if (backend.connectTimeoutMs !== undefined) runtime.connectTimeoutMs = backend.connectTimeoutMs;
      if (backend.pool !== undefined) runtime.pool = backend.pool;
      const apiKey = secret(backend.apiKey);
      if (apiKey !== undefined) runtime.apiKey = apiKey;
      if (backend.kind === "anthropic") {
        runtime.baseUrl = overrides.anthropicUrl === undefined ? backend.baseUrl : overrides.anthropicUrl.replace(/\/+$/, "");
        if (apiKey === undefined) runtime.unavailable = `no API key (${backend.apiKey ?? "set api_key"} is not set)`;
      } else if (overrides.backendUrls !== undefined && overrides.backendUrls.length > 0) {
        setUrls(runtime, overrides.backendUrls);
      } else if (overrides.backendUrl) {
        runtime.baseUrl = overrides.backendUrl.replace(/\/+$/, "");
      } else if (overrides.supervised?.has(name)) {
        runtime.supervised = true;
      } else if (backend.urls !== undefined && backend.urls.length > 0) {
        setUrls(runtime, backend.urls);
      } else if (backend.baseUrl.includes("{port}")) {
        runtime.unavailable = `backend ${name} is started by mallex; use \`mallex run\`, or pass --backend-url to use a server that is already running`;
      } else {
        runtime.baseUrl = backend.baseUrl.replace(/\/+$/, "");
      }
      return [name, runtime];
    }),
  );
}

/** One server: baseUrl alone; several: a pool (urls), baseUrl the first for what names one URL. */
function setUrls(runtime: RuntimeBackend, urls: readonly string[]): void {
  const trimmed = [...new Set(urls.map((url) => url.replace(/\/+$/, "")))];
  runtime.baseUrl = trimmed[0]!;
  if (trimmed.length > 1) runtime.urls = trimmed;
}
