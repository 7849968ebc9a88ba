/**
 * Ctrl-C (SIGINT) or SIGTERM of `mallex run` while its model server is still loading, before
 * Claude Code has the terminal: the server is stopped and its pidfile removed, so `mallex server
 * status` finds nothing stale afterwards. The built CLI and the fake mlx-lm.server, real processes.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { readPidfiles, serversDir, type ServerPidfile } from "../src/supervisor/processes/pidfile.js";
import { eventually, liveGroupMembers } from "./helpers/process-tree.js";
import { MALLEX_BIN, runCli } from "./helpers/run-cli.js";

const FAKE_CLI = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));

describe.skipIf(process.platform !== "linux").each([
  ["SIGINT", 130],
  ["SIGTERM", 143],
] as const)("%s to mallex run while the model server loads", (signal, exitCode) => {
  it("stops the server and leaves no pidfile behind", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // Ready only after 60 s: the signal comes while it loads.
    const run = execa("node", [MALLEX_BIN, "run", "--server-command", `node ${FAKE_CLI} --port {port} --model {model} --load-ms 60000`, "--", "-p", "hi"], {
      cwd: home,
      env: { MALLEX_HOME: home },
      reject: false,
      stdin: "ignore",
      all: true,
    });
    let record: ServerPidfile | undefined;
    await eventually("the loading server's pidfile", () => {
      const entry = readPidfiles(home)[0];
      record = entry && "record" in entry ? entry.record : undefined;
      return record !== undefined;
    });
    run.kill(signal);
    const result = await run;
    expect(result.exitCode, result.all).toBe(exitCode);
    expect(readdirSync(serversDir(home)), result.all).toEqual([]);
    await eventually(`the server (pid ${record!.pid}) and its process group are gone`, () => liveGroupMembers(record!.pid).length === 0);
    expect((await runCli(["server", "status"], { env: { MALLEX_HOME: home } })).stdout).not.toMatch(/stale/);
    expect(result.all).not.toMatch(/Claude Code/);
  });
});
