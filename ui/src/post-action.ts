import { errorText } from "./connect-events.js";

/** An action's answer: its JSON, or the one sentence mallex refused it with (or why mallex did not answer). */
export type ActionAnswer<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * POSTs a Models page action (`/ui/api/models/…`) as the routes take it: a JSON body, the page's token.
 * A refusal is the error envelope's sentence; a mallex that does not answer is said so.
 */
export async function postAction(path: string, body: unknown, headers: () => HeadersInit, signal?: AbortSignal): Promise<Response | string> {
  try {
    return await fetch(path, {
      method: "POST",
      headers: { ...headers(), "content-type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    return signal?.aborted ? "stopped" : `mallex does not answer (stopped?): ${(error as Error).message}`;
  }
}

/** {@link postAction} for an action answered in one JSON body. */
export async function postJson<T>(path: string, body: unknown, headers: () => HeadersInit): Promise<ActionAnswer<T>> {
  const response = await postAction(path, body, headers);
  if (typeof response === "string") return { ok: false, message: response };
  if (!response.ok) return { ok: false, message: await errorText(response) };
  return { ok: true, value: (await response.json()) as T };
}
