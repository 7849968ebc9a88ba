import type { Serving } from "./serve.js";

/**
 * Starts the default tier's model server before Claude Code opens, with its progress on the terminal.
 * False when the server gave up: its supervisor printed why ("gave up: …", in the log file too), and
 * the error it rejects with says the same, so it is not printed a second time.
 */
export async function warmUp(serving: Serving, external: boolean, print: (line: string) => void): Promise<boolean> {
  if (external) return true;
  const profile = serving.defaultProfile;
  if (!profile || !serving.supervisors.backends.has(profile.backend)) return true;
  // The model the server runs: a --server-command's own, not the profile's it replaces.
  print(`mallex: starting ${serving.supervisors.modelFor(profile)} for the ${serving.table.routing.defaultTier} tier…`);
  const supervisor = serving.supervisors.for(profile);
  try {
    await serving.proxy.learnServer(profile, await supervisor.ensureReady());
    return true;
  } catch (error) {
    if (supervisor.state !== "failed") throw error;
    return false;
  }
}
