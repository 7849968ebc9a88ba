/** What a request may name as its Host and which browser origins may call mallex (from `server`). */
export interface OriginPolicy {
  /** Host names besides the loopback ones (the configured `server.allowed_hosts` and a non-wildcard `server.host`). */
  allowedHosts: readonly string[];
  /** Browser origins allowed to call mallex, e.g. `http://localhost:5173` (`server.cors_origins`). */
  corsOrigins: readonly string[];
}

export interface RequestOriginFacts {
  /** The request's Host (name[:port]; an IPv6 address in brackets), as the client sent it. */
  host: string;
  origin: string | null;
  /** `Sec-Fetch-Site`, which browsers send with every request (cross-site, same-site, same-origin, none). */
  secFetchSite: string | null;
}

export type OriginCheck =
  /** `corsOrigin`: a configured cross-origin caller, whose responses carry CORS headers. */
  { ok: true; corsOrigin?: string } | { ok: false; message: string };

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);
const WILDCARD_HOSTS = new Set(["0.0.0.0", "::", "[::]"]);

/**
 * Refuses what only a web page would send: a Host that is not mallex's (DNS rebinding: a page on
 * evil.example whose name now resolves to 127.0.0.1), and a browser call from an origin that is not
 * mallex's own or configured. Requests without Origin or Sec-Fetch-Site — Claude Code, the SDKs,
 * curl — are not a browser's and pass. Pure.
 */
export function checkRequestOrigin(facts: RequestOriginFacts, policy: OriginPolicy): OriginCheck {
  const hostname = hostnameOf(facts.host);
  if (hostname === undefined || !hostAllowed(hostname, policy)) {
    return {
      ok: false,
      message: `mallex does not answer requests for host ${JSON.stringify(facts.host)}: only localhost, 127.0.0.1 and [::1] are served (a web page reaching mallex through DNS rebinding names its own host). Serve another name by adding it to server.allowed_hosts.`,
    };
  }
  const origin = facts.origin;
  if (origin !== null) {
    if (origin === `http://${facts.host.toLowerCase()}`) return { ok: true };
    if (policy.corsOrigins.includes(origin)) return { ok: true, corsOrigin: origin };
    return {
      ok: false,
      message: `mallex does not answer browser requests from ${origin}: only its own origin and those listed in server.cors_origins may call it.`,
    };
  }
  // A request with no Origin: a GET or HEAD a page made with <img>/<script>/navigation still says where it came from.
  if (facts.secFetchSite === "cross-site" || facts.secFetchSite === "same-site") {
    return {
      ok: false,
      message:
        "mallex does not answer requests another web site makes: only Claude Code, SDKs and other programs (which send no Origin), mallex's own pages and the origins in server.cors_origins may call it.",
    };
  }
  return { ok: true };
}

/** The policy the server config gives: `server.host` is allowed too unless it is a wildcard address. */
export function originPolicyOf(server: { host: string; allowedHosts: readonly string[]; corsOrigins: readonly string[] }): OriginPolicy {
  const own = WILDCARD_HOSTS.has(server.host) ? [] : [server.host.includes(":") && !server.host.startsWith("[") ? `[${server.host}]` : server.host];
  return { allowedHosts: [...own, ...server.allowedHosts], corsOrigins: server.corsOrigins };
}

function hostAllowed(hostname: string, policy: OriginPolicy): boolean {
  if (LOOPBACK_HOSTS.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)) return true;
  return policy.allowedHosts.some((allowed) => allowed.toLowerCase() === hostname);
}

/** The name part of a Host header, lowercased (brackets kept on IPv6); undefined when malformed. */
function hostnameOf(host: string): string | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::\d{1,5})?$/i.exec(host.trim());
  return match?.[1]?.toLowerCase();
}
