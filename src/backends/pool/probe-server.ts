import { sendTextRequest } from "../../shared/send-text-request.js";

/**
 * The active health probe of a pooled server while it cools down: `GET {base}/models`, which every
 * OpenAI-compatible server answers without touching the model. True on a 2xx answer (its body is not read).
 */
export async function probeServer(baseUrl: string, signal: AbortSignal): Promise<boolean> {
  try {
    return (await sendTextRequest(`${baseUrl}/models`, { signal, maxBytes: 0 })).ok;
  } catch {
    return false;
  }
}
