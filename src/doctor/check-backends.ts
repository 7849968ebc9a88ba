import { checkCapacity } from "./check-capacity.js";
import { checkExoBackend } from "./check-exo.js";
import { isLocal, profilesInUse, type ProfileInUse } from "./profiles-in-use.js";
import type { CheckResult, DoctorContext, DoctorDeps } from "./types.js";

interface Target {
  name: string;
  baseUrl: string;
  flavor: string;
  /** Sent as `model` unless the server is mlx-lm (which would load, even download, any other name). */
  model: string;
}

/**
 * Each local backend that has a URL now (or the one `--backend-url` names): GET /models, then a real
 * 1-token generation — mlx-lm says ok on /health before its model has loaded, so only a token proves
 * it serves. Supervised backends without --backend-url only exist while `mallex run` runs them.
 * A pool (`urls:`, or --backend-url given more than once) gets one line per server: a pool that
 * still answers through one server hides the other's failure, which is what doctor is asked to find.
 */
export async function checkBackends(ctx: DoctorContext): Promise<CheckResult[]> {
  const local = profilesInUse(ctx.table).filter(isLocal);
  if (local.length === 0) return [{ name: "backend", ok: "skip", detail: "no tier uses a local backend" }];
  const capacity = checkCapacity(ctx);
  const targets: Target[] = [];
  const skipped: CheckResult[] = [];
  if (ctx.options.backendUrl) {
    // The proxy sends the default tier's profile there; probe it the same way (model field or not).
    const first = preferredProfile(ctx, local);
    const urls = ctx.options.backendUrls !== undefined && ctx.options.backendUrls.length > 1 ? ctx.options.backendUrls : [ctx.options.backendUrl];
    targets.push(
      ...urls.map((baseUrl, i) => ({ name: serverName("backend", i, urls.length), baseUrl, flavor: first.backend.flavor, model: first.profile.model })),
    );
  } else {
    const seen = new Set<string>();
    for (const entry of local) {
      if (seen.has(entry.backendName)) continue;
      seen.add(entry.backendName);
      if (entry.backend.baseUrl.includes("{port}")) {
        skipped.push({
          name: `backend ${entry.backendName}`,
          ok: "skip",
          detail: "started by `mallex run` when needed; to probe a server you run, pass --backend-url",
        });
      } else {
        const urls = entry.backend.urls ?? [entry.backend.baseUrl];
        targets.push(
          ...urls.map((baseUrl, i) => ({
            name: serverName(`backend ${entry.backendName}`, i, urls.length),
            baseUrl,
            flavor: entry.backend.flavor,
            model: entry.profile.model,
          })),
        );
      }
    }
  }
  const probe = (target: Target) => probeBackend(target, ctx.deps, ctx.options.requestTimeoutMs ?? 5000, ctx.options.generateTimeoutMs ?? 30_000);
  // exo serves a model only once it is placed on its cluster: see check-exo.ts.
  const probed = await Promise.all(
    targets.map((target) =>
      target.flavor === "exo" ? checkExoBackend(target, ctx.deps, ctx.options.requestTimeoutMs ?? 5000, () => probe(target)) : probe(target),
    ),
  );
  // Then what mallex will send each backend at once: read from the same servers, beside the probes.
  return [...probed, ...skipped, ...(await capacity)];
}

/** `backend mlx`, or `backend mlx (server 2 of 3)` for one server of a pool. */
function serverName(name: string, index: number, count: number): string {
  return count === 1 ? name : `${name} (server ${index + 1} of ${count})`;
}

function preferredProfile(ctx: DoctorContext, local: ProfileInUse[]): ProfileInUse {
  const defaultProfile = ctx.table.tiers[ctx.table.routing.defaultTier]?.profile;
  return local.find((entry) => entry.profile.name === defaultProfile) ?? local[0]!;
}

async function probeBackend(target: Target, deps: DoctorDeps, requestTimeoutMs: number, generateTimeoutMs: number): Promise<CheckResult> {
  const base = target.baseUrl.replace(/\/+$/, "");
  const name = target.name;
  const down = "start the model server, e.g. `llama-server -m <model>.gguf --jinja --port 8080`, or pass the URL it listens on with --backend-url";
  const models = await request(deps, `${base}/models`, { method: "GET" }, requestTimeoutMs);
  if (models.kind === "network") return { name, ok: false, detail: `${base}: ${models.message}`, fix: down };
  if (models.kind === "timeout")
    return {
      name,
      ok: false,
      detail: `${base}/models did not answer in ${seconds(requestTimeoutMs)}`,
      fix: "check that the server at this URL is an OpenAI-compatible one and not stuck",
    };
  const listed = models.kind === "ok" ? listModelIds(models.body) : undefined;

  const body: Record<string, unknown> = { messages: [{ role: "user", content: "Say OK." }], max_tokens: 1, stream: false };
  if (target.flavor !== "mlx-lm") body.model = target.model;
  const started = deps.now();
  const generated = await request(
    deps,
    `${base}/chat/completions`,
    { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
    generateTimeoutMs,
  );
  const ms = Math.round(deps.now() - started);
  const modelsNote = listed
    ? `lists ${listed.length} model${listed.length === 1 ? "" : "s"}`
    : `GET /models answered ${models.kind === "http" ? models.status : "no JSON"}`;
  switch (generated.kind) {
    case "network":
      return {
        name,
        ok: false,
        detail: `${base} ${modelsNote}, but the generation failed: ${generated.message}`,
        fix: "the server dropped the request: see its log (out of memory? a bad chat template?)",
      };
    case "timeout":
      return {
        name,
        ok: false,
        detail: `${base} ${modelsNote}, but generated no token in ${seconds(generateTimeoutMs)}`,
        fix: "the server may still be loading the model: wait and run `mallex doctor` again, or see its log",
      };
    case "http": {
      const notListed = target.flavor !== "mlx-lm" && listed && !listed.includes(target.model);
      return {
        name,
        ok: false,
        detail: `${base}: POST /chat/completions answered ${generated.status}${generated.text ? `: ${generated.text.slice(0, 160)}` : ""}`,
        fix: notListed
          ? `the server does not have ${target.model}${target.flavor === "ollama" ? ` (ollama pull ${target.model})` : ""}; load it or change the profile's model`
          : "see the server's log; a 404 from mlx-lm means the model or its chat template failed to load",
      };
    }
    case "ok": {
      const choices = (generated.body as { choices?: unknown } | undefined)?.choices;
      if (!Array.isArray(choices) || choices.length === 0) {
        return {
          name,
          ok: false,
          detail: `${base}: POST /chat/completions answered without choices`,
          fix: "point --backend-url at an OpenAI-compatible server (its base URL ends in /v1)",
        };
      }
      return { name, ok: true, detail: `${base} ${modelsNote} and generated a token in ${ms} ms` };
    }
  }
}

type Answer = { kind: "ok"; body: unknown } | { kind: "http"; status: number; text: string } | { kind: "network"; message: string } | { kind: "timeout" };

async function request(deps: DoctorDeps, url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  try {
    const response = await deps.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await response.text();
    if (!response.ok) return { kind: "http", status: response.status, text: text.trim() };
    try {
      return { kind: "ok", body: JSON.parse(text) };
    } catch {
      return { kind: "http", status: response.status, text: `not JSON: ${text.slice(0, 80)}` };
    }
  } catch (error) {
    const err = error as Error & { cause?: { code?: string; message?: string } };
    if (err.name === "TimeoutError" || err.name === "AbortError") return { kind: "timeout" };
    const code = err.cause?.code;
    if (code === "ECONNREFUSED") return { kind: "network", message: `nothing listens there (connection refused)` };
    if (code === "ENOTFOUND") return { kind: "network", message: "the host name does not resolve" };
    return { kind: "network", message: err.cause?.message ?? err.message };
  }
}

function listModelIds(body: unknown): string[] | undefined {
  const data = (body as { data?: unknown } | undefined)?.data;
  return Array.isArray(data) ? data.map((m) => String((m as { id?: unknown }).id ?? "")) : undefined;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
