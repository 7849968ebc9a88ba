import type { ConfigView } from "./config-view.js";

/**
 * A `supervise.distributed:` block runs mlx_lm.server under mlx.launch: only flavor mlx-lm has that
 * server, and mlx-lm refuses draft models in distributed mode ("Loading with adapters or draft
 * models not supported in distributed mode"), so a profile asking for one would never start.
 */
export function checkDistributed(view: ConfigView): void {
  const { config, report } = view;
  const distributed = new Set<string>();
  for (const [name, backend] of Object.entries(config.backends ?? {})) {
    if (backend.supervise?.distributed === undefined) continue;
    distributed.add(name);
    if (backend.flavor !== "mlx-lm") {
      report(
        "backend-distributed-flavor",
        ["backends", name, "supervise", "distributed"],
        `backend "${name}" runs distributed through mlx.launch, which serves mlx-lm only, but its flavor is ${backend.flavor ?? "not set"}`,
        "set flavor: mlx-lm (for llama.cpp across machines, put llama-server's --rpc in the command instead)",
      );
    }
  }
  for (const [name, profile] of Object.entries(config.profiles ?? {})) {
    if (profile.draft_model !== undefined && distributed.has(profile.backend)) {
      report(
        "profile-distributed-draft",
        ["profiles", name, "draft_model"],
        `profile "${name}" has a draft model, but its backend "${profile.backend}" runs mlx-lm distributed, which refuses draft models`,
        "remove draft_model, or give this profile a backend on one machine",
      );
    }
  }
}
