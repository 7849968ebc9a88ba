import type { CheckResult, DoctorContext } from "./types.js";

/**
 * The proxy's configured port. Only `mallex proxy` listens there: `mallex run` picks a free port of
 * its own, so a port that is taken or reserved is a warning, not a failure. A host that cannot be
 * listened on at all stops both.
 */
export async function checkPort(ctx: DoctorContext): Promise<CheckResult> {
  const { host, port } = ctx.table.server;
  const name = "port";
  if (port === 0) return { name, ok: true, detail: "server.port is 0: a free port is picked at start" };
  const free = await ctx.deps.checkPort(host, port);
  if (free === true) return { name, ok: true, detail: `${host}:${port} is free` };
  const onlyProxy = "only `mallex proxy` serves there (`mallex run` picks a free port)";
  if (free === "EADDRINUSE") {
    // A mallex on this MALLEX_HOME that listens there says so itself (its record); another program needs lsof.
    const mallex = ctx.deps.runningProxies?.().find((proxy) => URL.canParse(proxy.url) && new URL(proxy.url).port === String(port));
    const stop = mallex
      ? `stop mallex pid ${mallex.pid}, which listens there (\`mallex status --port ${port}\` shows it)`
      : `stop what listens there (a mallex already running? \`lsof -i :${port}\`)`;
    return {
      name,
      ok: true,
      warning: true,
      detail: `${host}:${port} is in use${mallex ? ` by mallex pid ${mallex.pid}` : ""}; ${onlyProxy}`,
      fix: `for \`mallex proxy\`: ${stop}, or pass --port / set server.port`,
    };
  }
  if (free === "EACCES")
    return {
      name,
      ok: true,
      warning: true,
      detail: `${host}:${port} may not be listened on (${free}); ${onlyProxy}`,
      fix: "for `mallex proxy`: use a port above 1024 (server.port or --port)",
    };
  return { name, ok: false, detail: `${host}:${port} cannot be listened on (${free})`, fix: "check server.host and server.port in the config" };
}
