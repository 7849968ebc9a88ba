import { MallexError } from "../../shared/mallex-error.js";
import type { DebugLevel } from "../../observe/debug-lines.js";

/**
 * `MALLEX_DEBUG` for `mallex proxy` and `mallex run`: unset, empty or 0 is off; 1, 2 or 3 turn the
 * debug lines on (see debug-lines.ts). Anything else is a usage error (exit 2) rather than ignored:
 * a user who set `MALLEX_DEBUG=yes` expects lines that would silently never come.
 */
export function parseDebugLevel(value: string | undefined): DebugLevel {
  const text = value?.trim() ?? "";
  if (text === "" || text === "0") return 0;
  if (text === "1" || text === "2" || text === "3") return Number(text) as DebugLevel;
  throw new MallexError(
    "E_USAGE",
    `MALLEX_DEBUG must be 1, 2 or 3 (or 0 for off), got "${value}": 1 logs each request's routing and trimming decisions and its upstream call, 2 also the upstream request and answer bodies, 3 also the client's request and every event sent back`,
    { exitCode: 2 },
  );
}
