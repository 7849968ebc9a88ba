/**
 * The reason an `x-mallex-route` header gives, as written: the header quotes it as a JSON string
 * when it is not a plain token (e.g. `reason="default \u2192 medium"`).
 */
export function routeReason(header: string): string {
  const raw = /; reason=(.*)$/.exec(header)?.[1] ?? "";
  return raw.startsWith('"') ? (JSON.parse(raw) as string) : raw;
}

/** A POST to /v1/messages as Claude Code sends it, in one session: the status, `x-mallex-route` and the body's text. */
export async function postAsSession(
  proxyUrl: string,
  headers: Record<string, string>,
  body: unknown,
  session: string,
): Promise<{ status: number; route: string; text: string }> {
  const response = await fetch(`${proxyUrl}/v1/messages?beta=true`, {
    method: "POST",
    headers: { ...headers, "x-claude-code-session-id": session },
    body: JSON.stringify(body),
  });
  return { status: response.status, route: response.headers.get("x-mallex-route") ?? "", text: await response.text() };
}
