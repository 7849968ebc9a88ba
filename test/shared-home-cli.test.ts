/**
 * Two mallex on one MALLEX_HOME (two `mallex run` in two terminals do this): two real `mallex proxy`
 * processes (the built CLI: `npm run build` first, as `npm test` does) with the same config, each
 * supervising its own copy of the fake mlx-lm.server under the same key. Both start and are both
 * listed by `mallex status` and `mallex server status`; stopping one leaves the other's proxy record,
 * server record and server alone (it keeps answering, on the same server); a mallex killed with
 * SIGKILL leaves a record that `mallex status` ignores and removes; an older mallex's proxy.json is
 * read or cleaned, never a crash.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { legacyProxyPath, liveProxies, proxiesDir, proxyRecordPath, readProxyRecords } from "../src/supervisor/processes/proxy-records.js";
import { pidfilesOf } from "../src/supervisor/processes/pidfile.js";
import { ONE_LOCAL_PROFILE, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";
import { eventually, isLive } from "./helpers/process-tree.js";
import { runCli } from "./helpers/run-cli.js";

const FAKE_CLI = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));
/** ONE_LOCAL_PROFILE's local backend, started by each mallex: the server's key is its model's name. */
const KEY = "test-model";
const SERVER = ["--server-command", `node ${FAKE_CLI} --port {port} --model ${KEY}`];

const started: MallexProxyProcess[] = [];
const homes: string[] = [];
afterEach(async () => {
  for (const proxy of started.splice(0)) if (proxy.process.exitCode === null) proxy.process.kill("SIGKILL");
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
});

function sharedHome(): { home: string; config: string } {
  const home = mkdtempSync(join(tmpdir(), "mallex-shared-home-"));
  homes.push(home);
  return { home, config: join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml") };
}

async function startOn(home: string, config: string): Promise<MallexProxyProcess> {
  const proxy = await startProxyProcess(["--config", config, ...SERVER], home);
  started.push(proxy);
  return proxy;
}

async function ask(proxy: MallexProxyProcess): Promise<void> {
  const response = await fetch(`${proxy.url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "claude-shared", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
  });
  expect(response.status, `${await response.clone().text()}\n${proxy.output()}`).toBe(200);
  await response.text();
}

/** The record of the server `proxy` supervises. */
const serverOf = (home: string, proxy: MallexProxyProcess) => pidfilesOf(home, KEY).find((entry) => entry.record.mallexPid === proxy.process.pid);

describe.skipIf(process.platform === "win32")("two mallex sharing one MALLEX_HOME", () => {
  it("both start and are both listed; stopping one leaves the other's records and server alone; a SIGKILLed one's record is ignored and removed", async () => {
    const { home, config } = sharedHome();
    const env = { MALLEX_HOME: home };
    const a = await startOn(home, config);
    const b = await startOn(home, config);
    const [pidA, pidB] = [a.process.pid!, b.process.pid!];

    // One record each, private, neither overwriting the other.
    expect(
      liveProxies(home)
        .map((entry) => [entry.record.pid, entry.record.url])
        .sort(),
    ).toEqual(
      [
        [pidA, a.url],
        [pidB, b.url],
      ].sort(),
    );
    for (const pid of [pidA, pidB]) expect(statSync(proxyRecordPath(home, pid)).mode & 0o777).toBe(0o600);
    expect(statSync(proxiesDir(home)).mode & 0o777).toBe(0o700);

    // Each starts its own server of the same key, and records it as its own.
    await ask(a);
    await ask(b);
    const serverA = serverOf(home, a)!.record;
    const serverB = serverOf(home, b)!.record;
    expect(serverA.pid).not.toBe(serverB.pid);
    expect(pidfilesOf(home, KEY)).toHaveLength(2);
    for (const entry of pidfilesOf(home, KEY)) expect(statSync(entry.file).mode & 0o777).toBe(0o600);

    const status = await runCli(["status"], { env });
    expect(status.stderr).toBe("");
    expect(status.exitCode).toBe(0);
    expect(status.stdout).toMatch(/^2 mallex run on this MALLEX_HOME \(--port N shows one\):\n\n/);
    expect(status.stdout).toContain(`mallex at ${a.url} (pid ${pidA})\n`);
    expect(status.stdout).toContain(`mallex at ${b.url} (pid ${pidB})\n`);
    expect(status.stdout.split("claude-shared → medium/coder")).toHaveLength(3); // one request in each's list

    const onlyB = await runCli(["status", "--port", new URL(b.url).port], { env });
    expect(onlyB.exitCode).toBe(0);
    expect(onlyB.stdout).toContain(`mallex at ${b.url} (pid ${pidB})\n`);
    expect(onlyB.stdout).not.toContain(a.url);

    const follow = await runCli(["status", "-f"], { env });
    expect(follow.exitCode).toBe(2);
    expect(follow.stderr).toContain("2 mallex run on this MALLEX_HOME: pass --port to follow one");
    expect(follow.stderr).not.toContain("    at ");

    const servers = await runCli(["server", "status"], { env });
    expect(servers.exitCode).toBe(0);
    const lines = servers.stdout.split("\n");
    expect(lines).toHaveLength(2);
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${KEY}  pid ${serverA.pid}  port ${serverA.port}  ${KEY}  up \\d+s  alive  \\(mallex pid ${pidA} at ${a.url}\\)$`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${KEY}  pid ${serverB.pid}  port ${serverB.port}  ${KEY}  up \\d+s  alive  \\(mallex pid ${pidB} at ${b.url}\\)$`)),
    );

    // A ends (SIGTERM, as Ctrl-C or the end of a `mallex run` does): its server and records go, B's stay.
    await a.stop();
    expect(isLive(serverA.pid)).toBe(false);
    expect(existsSync(proxyRecordPath(home, pidA))).toBe(false);
    expect(isLive(serverB.pid)).toBe(true);
    expect(existsSync(proxyRecordPath(home, pidB))).toBe(true);
    expect(pidfilesOf(home, KEY).map((entry) => entry.record.pid)).toEqual([serverB.pid]);
    await ask(b);
    expect(serverOf(home, b)?.record.pid).toBe(serverB.pid); // the same server: not restarted, not stopped
    expect(b.output()).not.toMatch(/crashed|restarting|stopped by `mallex server stop`/);
    const one = await runCli(["status"], { env });
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toMatch(new RegExp(`^mallex at ${b.url} \\(pid ${pidB}\\)\\n`));

    // B is killed: nothing removes its record, which `mallex status` then ignores and removes.
    b.process.kill("SIGKILL");
    await b.process;
    expect(existsSync(proxyRecordPath(home, pidB))).toBe(true);
    const none = await runCli(["status"], { env });
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain("No running mallex found");
    expect(none.stderr).not.toContain("    at ");
    expect(existsSync(proxyRecordPath(home, pidB))).toBe(false);
    // Its server goes with it (its death watch), and `mallex server status` clears the record.
    await eventually(`B's server (pid ${serverB.pid}) is stopped by its death watch`, () => !isLive(serverB.pid));
    const cleared = await runCli(["server", "status"], { env });
    expect(cleared.stdout).toContain(`pid ${serverB.pid}`);
    expect(cleared.stdout).toContain("pidfile removed");
    expect(pidfilesOf(home, KEY)).toEqual([]);
  }, 90_000);

  it("a new mallex cleans the records of a killed one when it starts, and never takes another live one's server for an orphan", async () => {
    const { home, config } = sharedHome();
    const a = await startOn(home, config);
    await ask(a);
    const serverA = serverOf(home, a)!.record;
    const killed = await startOn(home, config);
    killed.process.kill("SIGKILL");
    await killed.process;
    expect(existsSync(proxyRecordPath(home, killed.process.pid!))).toBe(true);

    // C starts the same model (same key) while A's runs: A's server is not reaped, C's is its own.
    const c = await startOn(home, config);
    expect(existsSync(proxyRecordPath(home, killed.process.pid!))).toBe(false);
    expect(
      readProxyRecords(home)
        .map((entry) => entry.record.pid)
        .sort(),
    ).toEqual([a.process.pid!, c.process.pid!].sort());
    await ask(c);
    expect(isLive(serverA.pid)).toBe(true);
    expect(serverOf(home, a)?.record.pid).toBe(serverA.pid);
    expect(serverOf(home, c)?.record.pid).not.toBe(serverA.pid);
    expect(c.output()).not.toContain("left running by");
    await c.stop();
    expect(isLive(serverA.pid)).toBe(true);
    await ask(a);
    await a.stop();
    expect(readProxyRecords(home)).toEqual([]);
    expect(pidfilesOf(home, KEY)).toEqual([]);
  }, 90_000);

  it("an older mallex's proxy.json: a dead one's is removed and not a crash; a live one's is listed", async () => {
    const { home, config } = sharedHome();
    const env = { MALLEX_HOME: home };
    writeFileSync(legacyProxyPath(home), JSON.stringify({ url: "http://127.0.0.1:9", pid: 999_999, startedAt: new Date().toISOString() }));
    const none = await runCli(["status"], { env });
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain("No running mallex found");
    expect(existsSync(legacyProxyPath(home))).toBe(false);

    writeFileSync(legacyProxyPath(home), "{ half a file");
    expect((await runCli(["status"], { env })).stderr).toContain("No running mallex found");
    for (const args of [
      ["--port", "70000"],
      ["--port", "x"],
      ["--port", "4000", "--url", "http://127.0.0.1:4000"],
    ]) {
      const refused = await runCli(["status", ...args], { env });
      expect(refused.exitCode, args.join(" ")).toBe(2);
      expect(refused.stderr).toMatch(/--port must be|exclude each other/);
    }

    // A proxy of this version, and beside it the file an older one (still running) wrote.
    const proxy = await startOn(home, config);
    const olderUrl = "http://127.0.0.1:9";
    writeFileSync(legacyProxyPath(home), JSON.stringify({ url: olderUrl, pid: process.pid, startedAt: "2000-01-01T00:00:00.000Z" }));
    const both = await runCli(["status"], { env });
    // The older one (this test's pid stands in for it) does not answer at its URL: said, and the other is shown.
    expect(both.stdout).toContain(`mallex at ${proxy.url} (pid ${proxy.process.pid})\n`);
    expect(both.stderr).toContain(`No mallex answers at ${olderUrl}`);
    expect(both.exitCode).toBe(1);
    await proxy.stop();
    expect(JSON.parse(readFileSync(legacyProxyPath(home), "utf8")).pid).toBe(process.pid); // not this mallex's to remove
  }, 60_000);
});
