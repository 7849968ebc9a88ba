/**
 * The `retry-after` to hand a rate-limited client: the backend's own (seconds or an HTTP date, as it
 * is), else whole seconds from `retry-after-ms` or OpenAI's `x-ratelimit-reset-requests` /
 * `x-ratelimit-reset-tokens` (`"1s"`, `"6m0s"`, `"250ms"`; the later of the two). Undefined when
 * none says.
 *
 * @see docs/reliability.md, "Timeouts and errors" (a backend's 429); "Rate limits in headers" in
 *   OpenAI's rate-limit guide.
 */
export function readRetryAfter(headers: Headers): string | undefined {
  const given = headers.get("retry-after")?.trim();
  if (given) return given;
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return String(Math.ceil(ms / 1000));
  const resets = ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"]
    .map((name) => parseResetDuration(headers.get(name)))
    .filter((value): value is number => value !== undefined);
  return resets.length === 0 ? undefined : String(Math.ceil(Math.max(...resets) / 1000));
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `"6m0s"` → 360000; `"1.5s"` → 1500; anything else → undefined. */
function parseResetDuration(text: string | null): number | undefined {
  if (!text) return undefined;
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== text.trim()) return undefined;
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNIT_MS[unit!]!, 0);
}
