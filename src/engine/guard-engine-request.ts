import { timingSafeEqual } from "node:crypto";
import type { H3Event, Middleware } from "h3";
import { checkRequestOrigin, type OriginPolicy } from "../http/check-request-origin.js";
import { hungUpMessage, readLimitedBody } from "../http/read-limited-body.js";
import { bodyText } from "../shared/read-body-text.js";

/**
 * The engine is a local HTTP server like the proxy, so anything on the machine (a web page through
 * DNS rebinding or a `text/plain` form, another user's process) can reach its port. It is guarded
 * like the proxy, with OpenAI-shaped refusals, and more strictly: only mallex calls it, so when
 * mallex started it with a token every request must carry that token.
 */
export interface EngineGuard {
  /** Where the engine listens (its --host): named as an allowed Host unless a wildcard. */
  host: string;
  /** Host names besides the loopback ones and `host` (--allowed-hosts: the machine's LAN name, for an engine run by hand for other machines). */
  allowedHosts?: readonly string[];
  /** The per-start secret mallex gave the engine (MALLEX_ENGINE_TOKEN); absent: no token asked for. */
  token?: string;
  /** Largest request body read; past it 413 before more is held. */
  maxBodyBytes: number;
}

/** 32 MB: the proxy's own default body limit, for an engine run by hand (mallex passes its own limit, see engineMaxBodyBytes). */
export const ENGINE_MAX_BODY_BYTES = 32 * 1024 * 1024;

/** The environment variable mallex passes the engine's body limit in, in bytes. */
export const ENGINE_MAX_BODY_ENV = "MALLEX_ENGINE_MAX_BODY_BYTES";

/**
 * What the translation of an accepted request may add on its way to the engine (the tools prompt
 * and system template rendered into the body, OpenAI's message wrappers): a request the proxy took
 * is never refused by the engine it started.
 */
export const ENGINE_BODY_HEADROOM_BYTES = 1024 * 1024;

/** The body limit of an engine mallex starts: the proxy's own (server.max_body_mb) and the headroom. */
export function engineMaxBodyBytes(proxyMaxBodyBytes: number): number {
  return proxyMaxBodyBytes + ENGINE_BODY_HEADROOM_BYTES;
}

/** The environment variable mallex passes the token in (not argv: `ps` shows argv to every user). */
export const ENGINE_TOKEN_ENV = "MALLEX_ENGINE_TOKEN";

/**
 * Host/Origin check (check-request-origin.ts, as the proxy), then the token, then the body read under
 * the limit: a refused request is answered before its body is read.
 */
export function guardEngineRequest(guard: EngineGuard, log: (line: string) => void): Middleware {
  const own = WILDCARDS.has(guard.host) ? [] : [guard.host.includes(":") && !guard.host.startsWith("[") ? `[${guard.host}]` : guard.host];
  const policy: OriginPolicy = { allowedHosts: [...own, ...(guard.allowedHosts ?? [])], corsOrigins: [] };
  const expected = guard.token === undefined ? undefined : Buffer.from(guard.token);
  return async (event) => {
    const headers = event.req.headers;
    const origin = checkRequestOrigin(
      { host: headers.get("host") ?? event.url.host, origin: headers.get("origin"), secFetchSite: headers.get("sec-fetch-site") },
      policy,
    );
    if (!origin.ok) return refuse(event, 403, "permission_error", origin.message.replace(/^mallex /, "the mallex engine "));
    if (expected !== undefined && !tokenMatches(headers.get("authorization"), expected)) {
      return refuse(event, 401, "authentication_error", "the mallex engine answers only the mallex that started it: this request does not carry its token");
    }
    const { method } = event.req;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
    const body = await readLimitedBody(event.req, guard.maxBodyBytes, event.runtime?.node?.req);
    if (!body.ok && body.reason === "hung-up") {
      const message = hungUpMessage(body.receivedBytes, headers.get("content-length"));
      log(`${method} ${event.url.pathname} · ${message}`);
      return refuse(event, 400, "invalid_request_error", message);
    }
    if (!body.ok)
      return refuse(event, 413, "invalid_request_error", `the request body is larger than the mallex engine accepts (${formatLimit(guard.maxBodyBytes)})`);
    event.context[BODY_TEXT] = bodyText(body.body);
  };
}

/** The body the guard read (taken out of the event); read here when no guard ran (tests of the app alone). */
export function engineBodyText(event: H3Event): string | Promise<string> {
  const text = event.context[BODY_TEXT] as string | undefined;
  if (text === undefined) return event.req.text();
  delete event.context[BODY_TEXT];
  return text;
}

const BODY_TEXT = "mallex.engineBodyText";
const MIB = 1024 * 1024;
const formatLimit = (bytes: number) => (bytes >= MIB ? `${Math.round((bytes / MIB) * 100) / 100} MB` : `${bytes} bytes`);
const WILDCARDS = new Set(["0.0.0.0", "::", "[::]"]);

function tokenMatches(authorization: string | null, expected: Buffer): boolean {
  const presented = Buffer.from(authorization?.replace(/^Bearer\s+/i, "") ?? "");
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/**
 * An OpenAI-shaped error. The rest of a body not read is discarded as it arrives (node's resume), not
 * held, and the connection is not closed under the client: it gets its answer, then hangs up.
 */
function refuse(event: H3Event, status: number, type: string, message: string): Response {
  event.runtime?.node?.req.resume();
  return Response.json({ error: { message, type, param: null, code: null } }, { status });
}
