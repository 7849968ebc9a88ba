/**
 * The records by which `mallex status` finds every mallex on one MALLEX_HOME (proxies/<pid>.json):
 * one file per process, never overwritten by another mallex; a record whose process is gone, or
 * whose pid now belongs to a later process (another start time), is ignored and removed; an older
 * mallex's single proxy.json is read while its pid runs and removed once it does not; and which of
 * them `mallex status` asks (pickProxies).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pickProxies } from "../../src/cli/pick-proxies.js";
import {
  legacyProxyPath,
  liveProxies,
  proxiesDir,
  proxyRecordPath,
  readProxyRecords,
  removeProxyRecord,
  writeProxyRecord,
  type ProxyEntry,
} from "../../src/supervisor/processes/proxy-records.js";
import { isStampAlive, stampOf, systemProcessInspector, type ProcessInspector } from "../../src/supervisor/processes/process-identity.js";
import { deadPid, useTempsAndChildren } from "../helpers/temps-and-children.js";

// A live process that is not this test: what another mallex (or a recycled pid) looks like.
const { tempDir: tempHome, sleeper: otherProcess } = useTempsAndChildren("mallex-proxies-");

describe("proxy records (MALLEX_HOME/proxies/<pid>.json)", () => {
  it("two mallex write a record each, 0600 in a 0700 folder; each removes only its own", async () => {
    const home = tempHome();
    const other = stampOf(await otherProcess());
    const self = stampOf(process.pid);
    writeProxyRecord(home, { url: "http://127.0.0.1:4001", ...self, startedAt: "2026-01-01T00:00:01.000Z", token: "t1" });
    writeProxyRecord(home, { url: "http://127.0.0.1:4002", ...other, startedAt: "2026-01-01T00:00:02.000Z" });
    expect(liveProxies(home).map((entry) => [entry.record.url, entry.record.pid, entry.legacy])).toEqual([
      ["http://127.0.0.1:4001", process.pid, false],
      ["http://127.0.0.1:4002", other.pid, false],
    ]);
    expect(liveProxies(home)[0]!.record.token).toBe("t1");
    if (process.platform !== "win32") {
      expect(statSync(proxiesDir(home)).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(proxiesDir(home))) expect(statSync(join(proxiesDir(home), name)).mode & 0o777).toBe(0o600);
    }
    removeProxyRecord(home, self);
    expect(liveProxies(home).map((entry) => entry.record.pid)).toEqual([other.pid]);
    // A stamp of another process under the same pid (a later one) does not remove the file.
    removeProxyRecord(home, { pid: other.pid, startTime: "not-its-start" });
    expect(existsSync(proxyRecordPath(home, other.pid))).toBe(true);
  });

  it("ignores and removes the record of a mallex that is gone (killed) and of one whose pid now runs another process", async () => {
    const home = tempHome();
    const dead = await deadPid();
    const recycled = await otherProcess();
    writeProxyRecord(home, { url: "http://127.0.0.1:4003", pid: dead, startTime: "123", startedAt: "2026-01-01T00:00:03.000Z" });
    writeProxyRecord(home, { url: "http://127.0.0.1:4004", pid: recycled, startTime: "1", startedAt: "2026-01-01T00:00:04.000Z" });
    writeProxyRecord(home, { url: "http://127.0.0.1:4005", ...stampOf(process.pid), startedAt: "2026-01-01T00:00:05.000Z" });
    expect(readProxyRecords(home)).toHaveLength(3);
    expect(liveProxies(home).map((entry) => entry.record.url)).toEqual(["http://127.0.0.1:4005"]);
    expect(existsSync(proxyRecordPath(home, dead))).toBe(false);
    expect(existsSync(proxyRecordPath(home, recycled))).toBe(false);
    expect(systemProcessInspector.isAlive(recycled)).toBe(true); // only its stale record went
  });

  it("reads an older mallex's proxy.json while its pid runs, removes it once it does not, and skips files that are no record", async () => {
    const home = tempHome();
    const older = await otherProcess();
    writeFileSync(legacyProxyPath(home), JSON.stringify({ url: "http://127.0.0.1:4006", pid: older, startedAt: "2026-01-01T00:00:06.000Z", token: "old" }));
    writeProxyRecord(home, { url: "http://127.0.0.1:4007", ...stampOf(process.pid), startedAt: "2026-01-01T00:00:07.000Z" });
    writeFileSync(join(proxiesDir(home), "999.json"), "{ not json");
    writeFileSync(join(proxiesDir(home), "notes.txt"), "hand-written");
    const entries = liveProxies(home);
    expect(entries.map((entry) => [entry.record.url, entry.legacy])).toEqual([
      ["http://127.0.0.1:4006", true],
      ["http://127.0.0.1:4007", false],
    ]);
    expect(entries[0]!.record.token).toBe("old");

    writeFileSync(legacyProxyPath(home), JSON.stringify({ url: "http://127.0.0.1:4006", pid: await deadPid(), startedAt: "2026-01-01T00:00:06.000Z" }));
    expect(liveProxies(home).map((entry) => entry.record.url)).toEqual(["http://127.0.0.1:4007"]);
    expect(existsSync(legacyProxyPath(home))).toBe(false);

    writeFileSync(legacyProxyPath(home), "garbage");
    expect(liveProxies(home).map((entry) => entry.record.url)).toEqual(["http://127.0.0.1:4007"]);
    expect(liveProxies(tempHome())).toEqual([]);
  });

  it("a stamp is alive only as the same process: same pid and, when recorded and readable, the same start time", () => {
    const inspector = (alive: boolean, startTime: string | undefined): ProcessInspector => ({
      isAlive: () => alive,
      commandLine: () => undefined,
      startTime: () => startTime,
    });
    expect(isStampAlive({ pid: 7, startTime: "100" }, inspector(true, "100"))).toBe(true);
    expect(isStampAlive({ pid: 7, startTime: "100" }, inspector(true, "250"))).toBe(false);
    expect(isStampAlive({ pid: 7, startTime: "100" }, inspector(false, undefined))).toBe(false);
    expect(isStampAlive({ pid: 7 }, inspector(true, "250"))).toBe(true);
    expect(isStampAlive({ pid: 0 }, inspector(true, "1"))).toBe(false);
    expect(stampOf(7, inspector(true, "100"))).toEqual({ pid: 7, startTime: "100" });
    expect(stampOf(7, { isAlive: () => true, commandLine: () => undefined })).toEqual({ pid: 7 });
  });
});

describe("pickProxies (which mallex `mallex status` asks)", () => {
  const entry = (port: number, pid: number, token?: string): ProxyEntry => ({
    file: `/h/proxies/${pid}.json`,
    record: { url: `http://127.0.0.1:${port}`, pid, startedAt: "", ...(token !== undefined ? { token } : {}) },
    legacy: false,
  });
  const live = [entry(4001, 11, "tok-a"), entry(4002, 22)];
  const where = { dir: "/h/proxies" };

  it("asks every running mallex, each with its own token; --port picks one", () => {
    expect(pickProxies(live, { follow: false }, where)).toEqual([
      { url: "http://127.0.0.1:4001", token: "tok-a", pid: 11 },
      { url: "http://127.0.0.1:4002", pid: 22 },
    ]);
    expect(pickProxies(live, { follow: false, port: 4002 }, { ...where, envToken: "env" })).toEqual([{ url: "http://127.0.0.1:4002", token: "env", pid: 22 }]);
    expect(pickProxies(live, { follow: true, port: 4001, token: "given" }, where)).toEqual([{ url: "http://127.0.0.1:4001", token: "given", pid: 11 }]);
  });

  it("--url names one outright; a record's token goes only to the URL it was recorded with", () => {
    expect(pickProxies(live, { follow: false, url: "http://127.0.0.1:4001/" }, where)).toEqual([{ url: "http://127.0.0.1:4001", token: "tok-a", pid: 11 }]);
    expect(pickProxies(live, { follow: false, url: "http://elsewhere:4001" }, where)).toEqual([{ url: "http://elsewhere:4001" }]);
  });

  it("says in words when none runs, none listens on --port, or -f has several to choose from", () => {
    expect(() => pickProxies([], { follow: false }, where)).toThrow(
      "No running mallex found: /h/proxies records none. Start one with `mallex proxy` or `mallex run`, or pass --url.",
    );
    expect(() => pickProxies(live, { follow: false, port: 4999 }, where)).toThrow(
      "No running mallex listens on port 4999; the ones that run: http://127.0.0.1:4001 (pid 11); http://127.0.0.1:4002 (pid 22).",
    );
    expect(() => pickProxies(live, { follow: true }, where)).toThrow(
      "2 mallex run on this MALLEX_HOME: pass --port to follow one (http://127.0.0.1:4001 (pid 11); http://127.0.0.1:4002 (pid 22)).",
    );
    expect(pickProxies([live[0]!], { follow: true }, where)).toHaveLength(1);
  });
});
