import type { CompiledProfile } from "../compile/routing-table.js";
import { postChatCompletions } from "../backends/post-chat-completions.js";
import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import { upstreamBody } from "../backends/upstream-body.js";
import { upstreamTimeouts, type UpstreamClient } from "../backends/upstream-client.js";
import type { StablePrefixes } from "../observe/stable-prefixes.js";

export interface WarmPromptCacheDeps {
  prefixes: StablePrefixes;
  client: UpstreamClient;
  requestTimeoutMs: number;
  log(line: string): void;
  now(): number;
}

/**
 * Prefills a server that just became ready with the stable prefix its profile's requests began with
 * last time (the system prompt and the tools: see StablePrefixes), so that the first session's first
 * request finds it in the server's prompt cache instead of waiting for it: 718 of the 838 tokens of the
 * shipped eval's first requests on the small 1.5B profile, 10 s of prefill on two CPU cores. A
 * background request of one token; a failure is a log line, as the first session then prefills it.
 */
export async function warmPromptCache(
  profiles: readonly CompiledProfile[],
  backends: Readonly<Record<string, RuntimeBackend>>,
  baseUrl: string,
  deps: WarmPromptCacheDeps,
): Promise<void> {
  // One prefix: a server with one sequence keeps only the last prompt it read, so the first profile known wins.
  const warm = profiles.map((profile) => ({ profile, request: deps.prefixes.warmRequest(profile) })).find((known) => known.request !== undefined);
  const backend = warm && backends[warm.profile.backend];
  if (warm?.request === undefined || backend === undefined) return;
  const { profile, request } = warm;
  const started = deps.now();
  const target = { ...backend, baseUrl };
  try {
    const timeouts = upstreamTimeouts(backend, deps.requestTimeoutMs);
    const response = await postChatCompletions(target, upstreamBody(request), {
      signal: AbortSignal.timeout(timeouts.silenceMs),
      client: deps.client,
      timeouts,
    });
    const answer = await readChatCompletion(response, target, request.max_tokens);
    const tokens = answer.usage?.prompt_tokens;
    const seconds = ((deps.now() - started) / 1000).toFixed(1);
    deps.log(`${profile.name}: prompt cache warmed with the system prompt and tools${tokens == null ? "" : ` (${tokens} tokens)`} in ${seconds} s`);
  } catch (error) {
    deps.log(`${profile.name}: prompt cache not warmed (${(error as Error).message}); the first request prefills it`);
  }
}
