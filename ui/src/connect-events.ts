import type { DashboardMessage } from "./types.js";

export type ConnectionState = { type: "open" } | { type: "unauthorized" } | { type: "closed"; why: string };

/**
 * Reads /ui/events with fetch (EventSource cannot send the token), one message per SSE event, and
 * reconnects after a break. Stops for good on 401 (the page asks for the token, then calls again).
 */
export function connectEvents(
  headers: () => HeadersInit,
  onMessage: (message: DashboardMessage) => void,
  onState: (state: ConnectionState) => void,
): () => void {
  const abort = new AbortController();
  let retry: ReturnType<typeof setTimeout> | undefined;
  const again = (why: string) => {
    onState({ type: "closed", why });
    if (!abort.signal.aborted) retry = setTimeout(() => void run(), 1000);
  };
  const run = async () => {
    let response: Response;
    try {
      response = await fetch("/ui/events", { headers: headers(), signal: abort.signal, cache: "no-store" });
    } catch {
      return again("mallex does not answer (stopped?)");
    }
    if (response.status === 401) return onState({ type: "unauthorized" });
    if (!response.ok || response.body === null) return again(await errorText(response));
    onState({ type: "open" });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let pending = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        pending += value;
        let cut: number;
        while ((cut = pending.indexOf("\n\n")) !== -1) {
          const data = dataOf(pending.slice(0, cut));
          pending = pending.slice(cut + 2);
          if (data !== undefined) onMessage(JSON.parse(data) as DashboardMessage);
        }
      }
    } catch {
      // The connection broke: reconnect below.
    }
    again("the connection to mallex broke");
  };
  void run();
  return () => {
    abort.abort();
    clearTimeout(retry);
  };
}

/** The `data:` lines of one SSE event, joined; undefined for a comment (the heartbeat). */
function dataOf(event: string): string | undefined {
  const lines = event.split("\n").filter((line) => line.startsWith("data:"));
  return lines.length === 0 ? undefined : lines.map((line) => line.slice(5).trimStart()).join("\n");
}

/** An error answer's message in mallex's words (its Anthropic error envelope), else its status. */
export async function errorText(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { message?: string } };
    return body.error?.message ?? `mallex answered ${response.status}`;
  } catch {
    return `mallex answered ${response.status}`;
  }
}
