import type { SupervisorEvent } from "../supervisor/types.js";

/**
 * The terminal's lines for one supervisor event, so a starting or failing server is never silent: one
 * line, but for a failure the server explained itself (needsUser: what failed, what to do), whose own
 * lines are said as they are — they name the model, and the server's long key would bury them.
 */
export function formatSupervisorEvent(key: string, event: SupervisorEvent): string[] {
  if (event.type === "failed" && event.needsUser) return event.message.split("\n").map((line) => `mallex: ${line}`);
  return [formatOneLine(key, event)];
}

function formatOneLine(key: string, event: SupervisorEvent): string {
  const prefix = `mallex: model server ${key}:`;
  switch (event.type) {
    case "installing":
      return `${prefix} installing — ${event.message}`;
    case "starting":
      return `${prefix} starting on port ${event.port} (${event.command})`;
    case "progress":
      return `${prefix} ${event.message}${event.percent !== undefined ? ` (${Math.round(event.percent)}%)` : ""}`;
    case "ready":
      return event.reused
        ? `${prefix} ready at ${event.baseUrl} (kept running by an earlier session)`
        : `${prefix} ready at ${event.baseUrl} after ${(event.ms / 1000).toFixed(1)} s`;
    case "unloaded":
      return `${prefix} unloaded (${event.reason}); it starts again on the next request`;
    case "crashed":
      return `${prefix} exited unexpectedly (${event.signal ?? `code ${event.code}`}): ${event.message}`;
    case "wedged":
      return `${prefix} stopped producing tokens: ${event.message}`;
    case "out-of-memory":
      return `${prefix} ran out of memory: ${event.message}`;
    case "restarting":
      return `${prefix} restarting in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt})`;
    case "failed":
      return `${prefix} gave up: ${event.message}`;
    case "stopped":
      return `${prefix} stopped`;
  }
}
