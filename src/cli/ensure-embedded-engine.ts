import type { RoutingTable } from "../compile/routing-table.js";
import { profilesInUse } from "../doctor/profiles-in-use.js";
import type { EnsureEngineDeps } from "../engine/install/ensure-engine.js";

export interface EnsureEmbeddedEngineOptions {
  packageRoot: string;
  mallexHome: string;
  print(line: string): void;
}

/**
 * `mallex run` and `mallex proxy`, before an embedded engine is planned or started: node-llama-cpp
 * installed for this machine when a profile a request can reach runs on one (the first time: its
 * binaries from npm, with progress on the terminal, not inside a supervised engine whose readiness
 * clock runs). GPU binaries that could not be installed are said, and the engines run on the CPU.
 * Only files are read here when it is installed: the proxy never loads node-llama-cpp, and a proxy
 * without an embedded engine not even the installer (execa and npm's plumbing: ~250 KB of code).
 */
export async function ensureEmbeddedEngine(table: RoutingTable, options: EnsureEmbeddedEngineOptions, deps?: EnsureEngineDeps): Promise<void> {
  if (!profilesInUse(table).some(({ backend }) => backend.flavor === "embedded")) return;
  const { defaultEnsureEngineDeps, ensureEngine } = await import("../engine/install/ensure-engine.js");
  const ensured = await ensureEngine(options, deps ?? defaultEnsureEngineDeps());
  if (ensured.gpuError) options.print(ensured.gpuError.message);
}
