import { handleCors, type H3Event, type Middleware } from "h3";
import { checkRequestOrigin, type OriginPolicy } from "../http/check-request-origin.js";
import { refuseRequest } from "./refuse-request.js";
import { hungUpMessage, readLimitedBody } from "../http/read-limited-body.js";
import { bodyText } from "../shared/read-body-text.js";

/**
 * Refuses (403 permission_error) a request for a Host that is not mallex's or from a browser origin
 * that is not allowed; answers the CORS preflight of an allowed origin and adds CORS headers to its
 * responses. 403 rather than 421: the request did reach the right server, which refuses it — and
 * 403 is an error type Anthropic's clients know (permission_error), 421 is not.
 */
export function guardOrigin(policy: OriginPolicy): Middleware {
  return (event) => {
    const headers = event.req.headers;
    const check = checkRequestOrigin(
      { host: headers.get("host") ?? event.url.host, origin: headers.get("origin"), secFetchSite: headers.get("sec-fetch-site") },
      policy,
    );
    if (!check.ok) return refuseRequest(event, 403, check.message);
    if (check.corsOrigin === undefined) return;
    const preflight = handleCors(event, {
      origin: [check.corsOrigin],
      methods: ["GET", "HEAD", "POST", "OPTIONS"],
      allowHeaders: "*",
      exposeHeaders: ["request-id", "x-should-retry", "retry-after"],
      maxAge: "600",
    });
    if (preflight !== false) return preflight;
  };
}

/**
 * Reads the body of every request that has one (after the token check), at most `maxBytes`; past
 * that, 413 request_too_large, and the rest of the body is discarded as it arrives, never held. The
 * connection is not closed under the client: a socket closed with the client's bytes still coming
 * in is reset, and a reset can reach the client before the 413 does (it then sees EPIPE or
 * ECONNRESET, not the answer); a client that got its 413 stops sending and hangs up. The body is
 * read once and kept in the event's context for the handler ({@link bodyOf}): not put back into
 * a new Request, whose reading would copy and decode the 77 KB of a Claude Code request again.
 */
export function limitBody(maxBytes: number, log: (event: H3Event, line: string) => void): Middleware {
  return async (event) => {
    const { method } = event.req;
    if (method === "GET" || method === "HEAD" || method === "OPTIONS") return;
    const node = event.runtime?.node?.req;
    const body = await readLimitedBody(event.req, maxBytes, node);
    if (!body.ok && body.reason === "hung-up") {
      // No one is left to read an answer; the line says what happened, without a stack.
      const message = hungUpMessage(body.receivedBytes, event.req.headers.get("content-length"));
      log(event, `${event.req.method} ${event.url.pathname} · ${message}`);
      return refuseRequest(event, 400, message);
    }
    if (!body.ok) {
      node?.resume();
      return refuseRequest(event, 413, `The request body is larger than mallex accepts (${formatMB(maxBytes)}); raise server.max_body_mb to allow more.`);
    }
    event.context[BODY] = body.body;
  };
}

const BODY = "mallex.body";

/**
 * The body limitBody read, taken out of the event (it then lives no longer than the handler keeps
 * it): a small one as its bytes (see readLimitedBody), for a handler that reads them itself
 * (checkMessagesBody); a request it did not read (no limitBody in front) is read here.
 */
export function bodyOf(event: H3Event): string | Buffer | Promise<string> {
  const body = event.context[BODY] as string | Buffer | undefined;
  if (body === undefined) return event.req.text();
  delete event.context[BODY];
  return body;
}

/** The body limitBody read, as text. */
export function bodyTextOf(event: H3Event): string | Promise<string> {
  const body = bodyOf(event);
  return body instanceof Promise ? body : bodyText(body);
}

const formatMB = (bytes: number) => `${Math.round((bytes / 1024 / 1024) * 100) / 100} MB`;
