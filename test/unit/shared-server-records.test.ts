/**
 * Server records when two mallex share one MALLEX_HOME and run the same config: each server has its
 * own file (servers/<key>@<pid>.json), so neither overwrites the other's; removing one's leaves the
 * other's; orphan reaping before a start stops only servers whose mallex is gone (or that were kept),
 * never one whose mallex still runs; and a record an older mallex named `<key>.json` is still read.
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { listServers, stopServers } from "../../src/supervisor/processes/manage-servers.js";
import { ownerIdentity, pidfilePath, pidfilesOf, removePidfile, serversDir, writePidfile, type ServerPidfile } from "../../src/supervisor/processes/pidfile.js";
import { systemProcessInspector } from "../../src/supervisor/processes/process-identity.js";
import { reapOrphans } from "../../src/supervisor/processes/reap-orphan.js";
import { deadPid, SLEEPER, useTempsAndChildren } from "../helpers/temps-and-children.js";

const { tempDir: tempHome, sleeper } = useTempsAndChildren("mallex-shared-");

const alive = (pid: number) => systemProcessInspector.isAlive(pid);

const recordOf = (pid: number, owner: Pick<ServerPidfile, "mallexPid" | "mallexStartTime">, extra: Partial<ServerPidfile> = {}): ServerPidfile => ({
  key: "mlx--same",
  pid,
  port: 40_000 + (pid % 1000),
  baseUrl: "http://127.0.0.1:1/v1",
  command: SLEEPER.join(" "),
  argv: [...SLEEPER],
  model: "m",
  startedAt: new Date().toISOString(),
  ...owner,
  processGroup: false,
  ...extra,
});

describe("server records of two mallex on one MALLEX_HOME", () => {
  it("each server of the same key has its own record; removing one leaves the other", async () => {
    const home = tempHome();
    const [serverA, serverB, mallexA, mallexB] = [await sleeper(), await sleeper(), await sleeper(), await sleeper()];
    writePidfile(home, recordOf(serverA, ownerIdentity(mallexA)));
    writePidfile(home, recordOf(serverB, ownerIdentity(mallexB)));
    expect(
      pidfilesOf(home, "mlx--same")
        .map((entry) => [entry.record.pid, entry.record.mallexPid])
        .sort(),
    ).toEqual(
      [
        [serverA, mallexA],
        [serverB, mallexB],
      ].sort(),
    );
    expect(
      listServers(home)
        .map((status) => [status.record?.pid, status.liveness, status.owner])
        .sort(),
    ).toEqual(
      [
        [serverA, "alive", "alive"],
        [serverB, "alive", "alive"],
      ].sort(),
    );
    removePidfile(home, "mlx--same", serverA);
    expect(pidfilesOf(home, "mlx--same").map((entry) => entry.record.pid)).toEqual([serverB]);
  });

  it("`mallex server stop PID` stops that one server of a key; `stop KEY` every server of it", async () => {
    const home = tempHome();
    const [serverA, serverB, serverC, owner] = [await sleeper(), await sleeper(), await sleeper(), await sleeper()];
    for (const pid of [serverA, serverB]) writePidfile(home, recordOf(pid, ownerIdentity(owner)));
    writePidfile(home, recordOf(serverC, ownerIdentity(owner), { key: "mlx--other" }));
    expect(await stopServers(home, { keys: [String(serverA)] })).toEqual([{ key: "mlx--same", pid: serverA, outcome: "terminated" }]);
    expect([alive(serverA), alive(serverB), alive(serverC)]).toEqual([false, true, true]);
    expect((await stopServers(home, { keys: ["mlx--same"] })).map((report) => report.pid)).toEqual([serverB]);
    expect([alive(serverB), alive(serverC)]).toEqual([false, true]);
    expect(listServers(home).map((status) => status.record?.pid)).toEqual([serverC]);
  });

  it("reaping before a start stops the servers whose mallex is gone (or that were kept), never one whose mallex runs", async () => {
    const home = tempHome();
    const [liveOwned, orphan, kept, liveOwner] = [await sleeper(), await sleeper(), await sleeper(), await sleeper()];
    const gone = await deadPid();
    const recycledOwner = await sleeper(); // runs, but started after the record was written: not its owner
    const recycled = await sleeper();
    writePidfile(home, recordOf(liveOwned, ownerIdentity(liveOwner)));
    writePidfile(home, recordOf(orphan, { mallexPid: gone, mallexStartTime: "1" }));
    writePidfile(home, recordOf(kept, { mallexPid: 0 }, { kept: true }));
    writePidfile(home, recordOf(recycled, { mallexPid: recycledOwner, mallexStartTime: "1" }));
    writePidfile(home, recordOf(await deadPid(), { mallexPid: gone })); // its server is gone too: only the record goes

    const stopped = await reapOrphans(home, "mlx--same", systemProcessInspector, process.pid);
    expect(stopped.map((record) => record.pid).sort()).toEqual([orphan, kept, recycled].sort());
    for (const pid of [orphan, kept, recycled]) expect(alive(pid)).toBe(false);
    expect(alive(liveOwned)).toBe(true);
    expect(pidfilesOf(home, "mlx--same").map((entry) => entry.record.pid)).toEqual([liveOwned]);
    // Its own servers are never its orphans.
    expect(await reapOrphans(home, "mlx--same", systemProcessInspector, liveOwner)).toEqual([]);
    expect(alive(liveOwned)).toBe(true);
  });

  it("reads a record an older mallex named <key>.json, and removes it with its server's pid only", async () => {
    const home = tempHome();
    const server = await sleeper();
    const legacy = join(serversDir(home), "mlx--same.json");
    writePidfile(home, recordOf(server, ownerIdentity(await sleeper())));
    rmSync(pidfilePath(home, "mlx--same", server));
    writeFileSync(legacy, JSON.stringify(recordOf(server, { mallexPid: await deadPid() })));
    expect(pidfilesOf(home, "mlx--same").map((entry) => [entry.file, entry.record.pid])).toEqual([[legacy, server]]);
    expect(listServers(home)[0]).toMatchObject({ liveness: "alive", owner: "gone" });
    expect((await reapOrphans(home, "mlx--same", systemProcessInspector, process.pid)).map((record) => record.pid)).toEqual([server]);
    expect(existsSync(legacy)).toBe(false);
  });
});
