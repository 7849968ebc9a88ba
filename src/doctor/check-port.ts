import type { CheckResult, DoctorContext } from "./types.js";

/** The proxy's own port: taken means `mallex run`/`proxy` would fail to start. */
export async function checkPort(ctx: DoctorContext): Promise<CheckResult> {
  const { host, port } = ctx.table.server;
  const name = "port";
  if (port === 0) return { name, ok: true, detail: "server.port is 0: a free port is picked at start" };
  const free = await ctx.deps.checkPort(host, port);
  if (free === true) return { name, ok: true, detail: `${host}:${port} is free` };
  if (free === "EADDRINUSE") {
    return { name, ok: false, detail: `${host}:${port} is in use`, fix: `stop what listens there (a mallex already running? \`lsof -i :${port}\`), or set server.port / pass --port` };
  }
  if (free === "EACCES") return { name, ok: false, detail: `${host}:${port} may not be listened on (${free})`, fix: "use a port above 1024 (server.port)" };
  return { name, ok: false, detail: `${host}:${port} cannot be listened on (${free})`, fix: "check server.host and server.port in the config" };
}
