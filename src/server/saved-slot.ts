import { createHash } from "node:crypto";
import { readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { sendTextRequest } from "../shared/send-text-request.js";
import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { OpenAIChatRequest } from "../translate/openai-types.js";

/** Saved slots kept in the folder, newest first: one per profile a machine runs is the usual case. */
export const SAVED_SLOTS_KEPT = 4;

/**
 * Last conversations kept in the folder, newest first: the one a continued session reads back. Each
 * is as large as its conversation (~28 KB a token for the 1.5B: hundreds of MB at a full context).
 */
export const LAST_CONVERSATIONS_KEPT = 1;

/** The slot the warm-up prefills, saves and restores (llama-server's id_slot). */
export const WARM_SLOT = 0;

/**
 * The file a warm-up's slot is saved in: named after what the state depends on — the server's kind,
 * the model (its path, and the file's size and time when it is one: a state read into another model
 * is garbage, or on the engine a crash), and the exact request that prefilled it — so that a restore
 * only ever reads the state of the same prefix on the same model, and a changed prefix is a new file.
 */
export async function savedSlotFile(profile: { name: string; model: string }, flavor: string, request: OpenAIChatRequest): Promise<string> {
  const file = await stat(profile.model).then(
    (info) => (info.isFile() ? `${info.size}:${info.mtimeMs}` : ""),
    () => "",
  );
  const hash = createHash("sha256")
    .update([flavor, profile.model, file, JSON.stringify(request)].join("\0"))
    .digest("hex")
    .slice(0, 32);
  return `${profile.name.replace(/[^A-Za-z0-9_-]+/g, "_")}-${hash}.bin`;
}

/**
 * The file the last conversation of a server with one slot is kept in when mallex stops it
 * (keep-last-conversation.ts), beside the warm-up's: the same model and stable prefix, which that
 * conversation began with, so the next start that would restore the warm-up's reads it instead.
 */
export const lastConversationFile = (warmFile: string): string => warmFile.replace(/\.bin$/, LAST_CONVERSATION_SUFFIX);

const LAST_CONVERSATION_SUFFIX = ".last.bin";

export type SlotAnswer = { ok: true; tokens: number; bytes: number } | { ok: false; status: number; message: string };

/** The most of a slot action's answer read: a few fields of JSON. */
const SLOT_ANSWER_BYTES = 64 * 1024;

/**
 * `POST /slots/{id}?action=save|restore` on llama-server or the engine (slot-actions.ts): how many
 * tokens the slot file holds, or why not. A server started without --slot-save-path answers 501.
 */
export async function slotAction(
  backend: RuntimeBackend & { baseUrl: string },
  action: "save" | "restore",
  filename: string,
  timeoutMs: number,
): Promise<SlotAnswer> {
  const url = `${backend.baseUrl.replace(/\/v1\/?$/, "")}/slots/${WARM_SLOT}?action=${action}`;
  const headers = { "content-type": "application/json", ...backend.headers, ...(backend.apiKey ? { authorization: `Bearer ${backend.apiKey}` } : {}) };
  try {
    const { ok, status, text } = await sendTextRequest(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ filename }),
      signal: AbortSignal.timeout(timeoutMs),
      maxBytes: SLOT_ANSWER_BYTES,
    });
    const answer = parseJson(text) as { n_saved?: number; n_restored?: number; n_written?: number; n_read?: number; error?: { message?: string } } | undefined;
    if (!ok) return { ok: false, status, message: answer?.error?.message ?? `HTTP ${status}` };
    return { ok: true, tokens: answer?.n_saved ?? answer?.n_restored ?? 0, bytes: answer?.n_written ?? answer?.n_read ?? 0 };
  } catch (error) {
    return { ok: false, status: 0, message: (error as Error).message };
  }
}

/**
 * Removes the warm-ups' saved slots past the newest SAVED_SLOTS_KEPT (each is megabytes: ~28 KB a
 * token for the 1.5B), and the last conversations past the newest LAST_CONVERSATIONS_KEPT.
 */
export async function pruneSavedSlots(dir: string): Promise<void> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".bin"));
  const files = await Promise.all(names.map(async (name) => ({ name, mtime: (await stat(join(dir, name)).catch(() => undefined))?.mtimeMs ?? 0 })));
  files.sort((a, b) => b.mtime - a.mtime);
  const last = (name: string) => name.endsWith(LAST_CONVERSATION_SUFFIX);
  const pruned = [
    ...files.filter((file) => !last(file.name)).slice(SAVED_SLOTS_KEPT),
    ...files.filter((file) => last(file.name)).slice(LAST_CONVERSATIONS_KEPT),
  ];
  await Promise.all(pruned.map((file) => unlink(join(dir, file.name)).catch(() => undefined)));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
