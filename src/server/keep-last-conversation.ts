import type { CompiledProfile } from "../compile/routing-table.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import { SLOT_SAVING_FLAVORS } from "../backends/supervisor-pool.js";
import type { StablePrefixes } from "../observe/stable-prefixes.js";
import { lastConversationFile, pruneSavedSlots, savedSlotFile, slotAction } from "./saved-slot.js";

export interface KeepLastConversationDeps {
  prefixes: StablePrefixes;
  /** Where the servers mallex starts save their slots (slotSaveDir): the old files are pruned there. */
  slotDir: string;
  timeoutMs: number;
  log(line: string): void;
}

/**
 * Saves what a server with one slot holds as mallex stops it — the last session's conversation, its
 * profile's stable prefix first — so that the next start reads it back (warmPromptCache) instead of
 * the warm-up's prefix alone: a session continued after a restart (`claude --continue`, each turn of
 * a `claude -p … --continue` script, each its own `mallex run`) finds its whole conversation cached,
 * where it prefilled all but the prefix again. A new session shares the prefix with it as with the
 * warm-up. Only the session's profile's own slot file is named: a server whose slot holds another
 * prompt (a question sent alone, a classifier's) keeps nothing, and its next start restores the
 * warm-up's prefix as before.
 */
export async function keepLastConversation(
  profile: CompiledProfile,
  backend: RuntimeBackend & { baseUrl: string },
  deps: KeepLastConversationDeps,
): Promise<void> {
  const request = deps.prefixes.warmRequest(profile);
  if (request === undefined || !SLOT_SAVING_FLAVORS.has(backend.flavor)) return;
  const file = lastConversationFile(await savedSlotFile(profile, backend.flavor, request));
  const saved = await slotAction(backend, "save", file, deps.timeoutMs);
  // 501: a server started without a slot folder (a command that chose none): nothing to keep, nothing to say.
  if (saved.ok)
    deps.log(`${profile.name}: the last conversation kept for the next start (${saved.tokens} tokens, ${(saved.bytes / 1024 / 1024).toFixed(1)} MB)`);
  else if (saved.status !== 501) deps.log(`${profile.name}: the last conversation not kept for the next start (${saved.message})`);
  await pruneSavedSlots(deps.slotDir);
}
