import type { Backend } from "../../generated/config.js";
import { loadConfigValidator } from "../compile/compile-config.js";
import { resolveBackend } from "../compile/resolve-routing-table.js";
import type { Supervision } from "./supervisor-pool.js";

/**
 * A `supervise:` block holding only `command`, with the schema's defaults filled in by the same
 * validator and resolver the compiler uses: for backends `--server-command` supervises without one.
 */
export async function supervisionFor(command: string, packageRoot: string): Promise<Supervision> {
  const validate = await loadConfigValidator(packageRoot);
  const backend: Backend = { kind: "openai", supervise: { command } };
  validate({ backends: { server: backend } });
  return resolveBackend(backend).supervise!;
}
