import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { SequencePool } from "./sequence-pool.js";

/**
 * llama-server's `POST /slots/{id}?action=save|restore|erase` (tools/server: `handle_slots_action`),
 * for the engine: a slot's prompt cache written to a file in the `--slot-save-path` folder and read
 * back, so that a prefix prefilled once survives the engine's restart (warm-prompt-cache.ts). The same
 * requests and answers as llama-server's, so mallex saves and restores either the same way.
 */
export type SlotActionResult = { status: 200; body: Record<string, unknown> } | { status: 400 | 500 | 501; message: string; type: string };

export interface SlotActionRequest {
  id: string;
  action: string | undefined;
  /** The request's body, parsed: `{ filename }` for save and restore. */
  body: unknown;
}

export async function runSlotAction(
  request: SlotActionRequest,
  pool: SequencePool,
  saveDir: string | undefined,
  signal: AbortSignal,
  now: () => number,
): Promise<SlotActionResult> {
  // llama-server's own answer when it was started without --slot-save-path.
  if (saveDir === undefined) return { status: 501, type: "not_supported_error", message: "This server does not support slots action." };
  const id = Number(request.id);
  if (!Number.isInteger(id) || id < 0 || id >= pool.size)
    return invalid(`Invalid slot ID: ${request.id} (this engine has ${pool.size} slot${pool.size === 1 ? "" : "s"})`);
  const action = request.action;
  if (action !== "save" && action !== "restore" && action !== "erase") return invalid(`Invalid action: ${action ?? "none"} (save, restore or erase)`);
  const filename = action === "erase" ? undefined : filenameOf(request.body);
  if (filename === null) return invalid("Invalid filename: a plain file name in the --slot-save-path folder");

  const { slot, release } = await pool.acquireSlot(id, signal);
  const started = now();
  const ms = () => Math.round((now() - started) * 1000) / 1000;
  try {
    const sequence = slot.sequence;
    if (action === "erase") {
      const erased = sequence.nextTokenIndex;
      await sequence.clearHistory();
      return { status: 200, body: { id_slot: id, n_erased: erased } };
    }
    const path = join(saveDir, filename!);
    if (action === "save") {
      const saved = await sequence.saveStateToFile(path).catch((error: unknown) => error as Error);
      if (saved instanceof Error) return { status: 500, type: "server_error", message: `Unable to save slot: ${saved.message}` };
      const fileSize = saved.fileSize;
      return { status: 200, body: { id_slot: id, filename, n_saved: sequence.nextTokenIndex, n_written: fileSize, timings: { save_ms: ms() } } };
    }
    const size = await stat(path).then(
      (info) => info.size,
      () => undefined,
    );
    if (size === undefined) return invalid(`Unable to restore slot: no file ${filename} in the --slot-save-path folder`);
    try {
      // mallex names the file after the model it was made with (saved-slot.ts): another model's state is never asked for.
      await sequence.loadStateFromFile(path, { acceptRisk: true });
    } catch (error) {
      await sequence.clearHistory();
      return invalid(`Unable to restore slot: ${(error as Error).message}`);
    }
    return { status: 200, body: { id_slot: id, filename, n_restored: sequence.nextTokenIndex, n_read: size, timings: { restore_ms: ms() } } };
  } finally {
    release();
  }
}

const invalid = (message: string): SlotActionResult => ({ status: 400, type: "invalid_request_error", message });

/**
 * The body's `filename` when it is a plain file name (llama-server's fs_validate_filename, in short:
 * no folder, no leading dot, nothing but letters, digits, `-`, `_` and `.`), else null.
 */
function filenameOf(body: unknown): string | null {
  const name = typeof body === "object" && body !== null ? (body as { filename?: unknown }).filename : undefined;
  return typeof name === "string" && /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/.test(name) && !name.includes("..") ? name : null;
}
