import { interpolateEnv, type EnvLookup } from "../config/interpolate-env.js";
import { ENV_REFERENCE } from "./claude-code/format-claude-hint.js";

/**
 * The address that opens a mallex's dashboard: its /ui, with the token in the fragment where it has
 * one. The page keeps a `#token=` as if it were typed and takes it out of the address bar (ui/src/main.ts);
 * a fragment never reaches a server. The one place that link is made: `mallex run`, `mallex eval`,
 * `mallex proxy` and `mallex status` all print it.
 */
export function dashboardLink(proxyUrl: string, token: string | undefined): string {
  return token ? `${proxyUrl}/ui#token=${encodeURIComponent(token)}` : `${proxyUrl}/ui`;
}

/**
 * `mallex proxy`'s `dashboard:` line, for its server.auth_token as formatClaudeHint reads it: the link
 * that opens the page, token included; a token the config reads from the environment stays that
 * reference (a link cannot hold one for the shell to fill in), so the page asks for it and the line says which.
 */
export function formatDashboardHint(proxyUrl: string, authToken: string | undefined, env: EnvLookup): string {
  const resolved = authToken === undefined ? undefined : interpolateEnv(authToken, env);
  if (authToken === undefined || !resolved?.ok || resolved.value === "") return dashboardLink(proxyUrl, undefined);
  if (ENV_REFERENCE.test(authToken)) return `${dashboardLink(proxyUrl, undefined)} (it asks for the token: ${authToken})`;
  return dashboardLink(proxyUrl, resolved.value);
}
