import type { ConfigView } from "./config-view.js";
import { DRAFT_MODEL_FLAGS } from "./routing-table.js";

/**
 * A profile's `draft_model` reaches a server only where mallex starts that server with it: mlx-lm's
 * and the embedded engine's, whose flag mallex adds, or a `supervise.command` that has
 * `{draft_model}`. Anywhere else it would be dropped without a word — a server mallex does not start,
 * or a llama-server command without the placeholder — so compile says so (a warning: `mallex run
 * --embedded` serves every local profile on the engine, which takes it).
 */
export function checkDraftModel(view: ConfigView): void {
  const { config, report } = view;
  for (const [name, profile] of Object.entries(config.profiles ?? {})) {
    if (profile.draft_model === undefined) continue;
    const backend = config.backends?.[profile.backend];
    if (backend === undefined) continue; // check-references reports the missing backend
    const command = backend.supervise?.command;
    if (command !== undefined && (command.includes("{draft_model}") || DRAFT_MODEL_FLAGS[backend.flavor ?? ""] !== undefined)) continue;
    const hint =
      command === undefined
        ? "give the server its draft model where it is started, and remove draft_model here"
        : backend.flavor === "llama-server"
          ? `add "--model-draft {draft_model} --spec-type draft-simple" to backends.${profile.backend}.supervise.command (a llama-server older than --spec-type takes "-md {draft_model}" alone), or remove draft_model`
          : `add {draft_model} to backends.${profile.backend}.supervise.command where the server takes its draft model, or remove draft_model`;
    report(
      "profile-draft-model-unused",
      ["profiles", name, "draft_model"],
      `profile "${name}" has a draft model, but backend "${profile.backend}" is ${command === undefined ? "a server mallex does not start" : "started by a command without {draft_model}"}: the draft would not be used`,
      hint,
      { warning: true },
    );
  }
}
