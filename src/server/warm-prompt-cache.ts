import type { CompiledProfile } from "../compile/routing-table.js";
import { postChatCompletions } from "../backends/post-chat-completions.js";
import { readChatCompletion } from "../backends/read-chat-completion.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import { upstreamBody } from "../backends/upstream-body.js";
import { upstreamTimeouts, type UpstreamClient } from "../backends/upstream-client.js";
import type { StablePrefixes } from "../observe/stable-prefixes.js";
import { SLOT_SAVING_FLAVORS } from "../backends/supervisor-pool.js";
import { lastConversationFile, pruneSavedSlots, savedSlotFile, slotAction, WARM_SLOT } from "./saved-slot.js";

export interface WarmPromptCacheDeps {
  prefixes: StablePrefixes;
  /** Where the servers mallex starts save their slots (slotSaveDir): the old files are pruned there. */
  slotDir: string;
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
 *
 * llama-server and the engine, which mallex starts with a --slot-save-path, keep that prefill: the
 * slot is saved to a file named after the model and the prefix (saved-slot.ts) and the next start
 * restores it (milliseconds) instead of prefilling again — a `mallex run`, an idle unload, a restart.
 * Where the server kept its last conversation when it stopped (keep-last-conversation.ts), that is
 * read back instead: it begins with the same prefix.
 */
export async function warmPromptCache(
  profiles: readonly CompiledProfile[],
  backends: Readonly<Record<string, RuntimeBackend>>,
  baseUrl: string,
  deps: WarmPromptCacheDeps,
  /**
   * After a prompt that was no session's (ServerContext.restorePrefix), named for the log: the saved
   * prefix read back, never the last conversation; prefilled (and saved) only where none was saved
   * yet — a `mallex run` that starts its server before any session knows no prefix to warm, and each
   * later start reads the last conversation back instead — and never where no slot is saved at all.
   */
  { restoredAfter }: { restoredAfter?: string } = {},
): Promise<void> {
  // One prefix: a server with one sequence keeps only the last prompt it read, so the first profile known wins.
  const warm = profiles.map((profile) => ({ profile, request: deps.prefixes.warmRequest(profile) })).find((known) => known.request !== undefined);
  const backend = warm && backends[warm.profile.backend];
  if (warm?.request === undefined || backend === undefined) return;
  const { profile } = warm;
  const started = deps.now();
  const target = { ...backend, baseUrl };
  const timeouts = upstreamTimeouts(backend, deps.requestTimeoutMs);
  const seconds = () => ((deps.now() - started) / 1000).toFixed(1);
  const slotFile = SLOT_SAVING_FLAVORS.has(backend.flavor) ? await savedSlotFile(profile, backend.flavor, warm.request) : undefined;
  const restoreOnly = restoredAfter !== undefined;
  if (slotFile !== undefined && !restoreOnly) {
    // Holds the warm-up's prefix and the session that followed it (keep-last-conversation.ts).
    const restored = await slotAction(target, "restore", lastConversationFile(slotFile), timeouts.silenceMs);
    if (restored.ok && restored.tokens > 0) {
      deps.log(
        `${profile.name}: prompt cache restored with the last conversation (${restored.tokens} tokens, kept when its server last stopped) in ${seconds()} s`,
      );
      return;
    }
  }
  if (slotFile !== undefined) {
    const restored = await slotAction(target, "restore", slotFile, timeouts.silenceMs);
    if (restored.ok && restored.tokens > 0) {
      const when = restoreOnly ? `after ${restoredAfter}` : "saved at an earlier start";
      deps.log(`${profile.name}: prompt cache restored with the system prompt and tools (${restored.tokens} tokens, ${when}) in ${seconds()} s`);
      return;
    }
  }
  if (restoreOnly && slotFile === undefined) return;
  // llama-server prefills the slot it is told to, the one saved next; the engine's first slot takes it.
  const request = slotFile !== undefined && backend.flavor === "llama-server" ? { ...warm.request, id_slot: WARM_SLOT } : warm.request;
  try {
    const response = await postChatCompletions(target, upstreamBody(request), {
      signal: AbortSignal.timeout(timeouts.silenceMs),
      client: deps.client,
      timeouts,
    });
    const answer = await readChatCompletion(response, target, request.max_tokens);
    const tokens = answer.usage?.prompt_tokens;
    const detail = [tokens == null ? undefined : `${tokens} tokens`, restoreOnly ? `after ${restoredAfter}` : undefined].filter((part) => part !== undefined);
    deps.log(`${profile.name}: prompt cache warmed with the system prompt and tools${detail.length === 0 ? "" : ` (${detail.join(", ")})`} in ${seconds()} s`);
  } catch (error) {
    deps.log(`${profile.name}: prompt cache not warmed (${(error as Error).message}); the first request prefills it`);
    return;
  }
  if (slotFile === undefined) return;
  const saved = await slotAction(target, "save", slotFile, timeouts.silenceMs);
  // 501: a server started without a slot folder (a command that chose none): nothing to keep, nothing to say.
  if (saved.ok) deps.log(`${profile.name}: prompt cache saved for the next start (${saved.tokens} tokens, ${(saved.bytes / 1024 / 1024).toFixed(1)} MB)`);
  else if (saved.status !== 501) deps.log(`${profile.name}: prompt cache not saved for the next start (${saved.message})`);
  await pruneSavedSlots(deps.slotDir);
}
