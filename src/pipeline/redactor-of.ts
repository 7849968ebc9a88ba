import { createRedactor, type Redactor } from "../observe/redact-secrets.js";
import type { ServerContext } from "./server-context.js";

/** The server's redactor; a context built without one (tests of the app alone) still keeps each backend's key and headers out. */
export function redactorOf(ctx: Pick<ServerContext, "redact" | "backends">): Redactor {
  // Short values (a local server's placeholder key, `none`) are no secrets: see collectSecrets.
  return (
    ctx.redact ??
    createRedactor(
      Object.values(ctx.backends).flatMap((backend) => [backend.apiKey ?? "", ...Object.values(backend.headers)].filter((value) => value.length >= 6)),
    )
  );
}
