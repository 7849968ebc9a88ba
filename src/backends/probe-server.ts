/**
 * The active health probe of a pooled server while it cools down: `GET {base}/models`, which every
 * OpenAI-compatible server answers without touching the model. True on a 2xx answer.
 */
export async function probeServer(baseUrl: string, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/models`, { signal });
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}
