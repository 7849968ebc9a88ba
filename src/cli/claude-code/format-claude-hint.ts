import { interpolateEnv, type EnvLookup } from "../../config/interpolate-env.js";
import { formatArgv } from "../../supervisor/server-command.js";

/** A whole `${VAR}` or `${VAR:-default}`: the shell reads it as the config does. */
export const ENV_REFERENCE = /^\$\{[A-Za-z_][A-Za-z0-9_]*(:-[^}"`$\\]*)?\}$/;

/**
 * The command that starts Claude Code on this proxy, runnable as printed. Without a key or token
 * Claude Code says "Not logged in" and sends nothing, so the line always gives one: any key when the
 * proxy checks none, else the proxy's server.auth_token. A token the config reads from the environment
 * is printed as that reference, which keeps the secret off the terminal and out of logs.
 */
export function formatClaudeHint(url: string, authToken: string | undefined, env: EnvLookup): string {
  const resolved = authToken === undefined ? undefined : interpolateEnv(authToken, env);
  if (authToken === undefined || !resolved?.ok || resolved.value === "") return `ANTHROPIC_BASE_URL=${url} ANTHROPIC_API_KEY=local claude`;
  const token = ENV_REFERENCE.test(authToken) ? `"${authToken}"` : formatArgv([resolved.value]);
  return `ANTHROPIC_BASE_URL=${url} ANTHROPIC_AUTH_TOKEN=${token} claude`;
}
