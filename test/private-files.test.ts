/**
 * Private by default: MALLEX_HOME holds prompts, tokens and server output, so mallex makes it 0700
 * and everything it saves there 0600 (the real CLI for the proxy; the writers one by one for the
 * files a test cannot get the proxy to write quickly), and takes group and other access away from a
 * home an older mallex left 0755, saying so once.
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { proxyRecordPath, writeProxyRecord } from "../src/supervisor/processes/proxy-records.js";
import { makeFolderFor, securePrivateHome } from "../src/shared/files/private-files.js";
import { createLogWriter } from "../src/observe/log-file.js";
import { createLastRequestSaver } from "../src/observe/save-last-request.js";
import { writePidfile } from "../src/supervisor/processes/pidfile.js";
import { defaultModelSizeDeps } from "../src/supervisor/memory/model-sizes.js";
import { openServerLog } from "../src/supervisor/server-log.js";
import { writeFileAtomic, writeFileAtomicAsync } from "../src/shared/files/write-file-atomic.js";
import { createFakeMlxServer } from "./fakes/mlx-lm-server.js";
import { ONE_LOCAL_PROFILE, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess } from "./helpers/mallex-process.js";

const modes = process.platform !== "win32";
const modeOf = (path: string) => statSync(path).mode & 0o777;

/** Every path under `dir` (itself included) with its mode, as "path 0700". */
function walk(dir: string, out: string[] = []): string[] {
  out.push(`${dir} 0${modeOf(dir).toString(8)}`);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) walk(path, out);
    else out.push(`${path} 0${modeOf(path).toString(8)}`);
  }
  return out;
}

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
  }
}

describe.runIf(modes)("MALLEX_HOME is private", () => {
  it("a real proxy tightens a 0755 home (said once) and saves mallex.log, last-request/ and its proxies/ record 0600 in 0700 folders", async () => {
    const home = join(mkdtempSync(join(tmpdir(), "mallex-private-")), "home");
    mkdirSync(home, { mode: 0o755 });
    chmodSync(home, 0o755);
    const mlx = await createFakeMlxServer({ model: "test-model" });
    const config = join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", mlx.url], home);
    try {
      const answer = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-private", max_tokens: 16, messages: [{ role: "user", content: "a secret prompt" }] }),
      });
      expect(answer.status).toBe(200);
      await eventually(() => {
        try {
          return readdirSync(join(home, "last-request")).some((name) => name.endsWith(".json"));
        } catch {
          return false;
        }
      });
      const listed = walk(home);
      expect(listed).toContain(`${proxyRecordPath(home, proxy.process.pid!)} 0600`);
      expect(listed).toContain(`${join(home, "proxies")} 0700`);
      expect(listed).toContain(`${join(home, "last-request")} 0700`);
      await proxy.stop();
      const after = walk(home);
      expect(after).toContain(`${join(home, "mallex.log")} 0600`);
      // Everything, whatever its name: the class, not a list of known files.
      for (const line of [...listed, ...after]) expect(line).toMatch(/ 0(600|700)$/);
      expect(after.filter((line) => line.endsWith(" 0700")).length).toBeGreaterThanOrEqual(2);
      expect(proxy.output().split("made").length - 1, proxy.output()).toBe(1);
      expect(proxy.output()).toContain(`mallex: made ${home} (MALLEX_HOME) private: mode 0755 → 0700, since it holds prompts and logs.`);
    } finally {
      await proxy.stop();
      await mlx.close();
    }
  }, 30_000);

  it("every writer in MALLEX_HOME makes its folders 0700 and its files 0600, rotations included", async () => {
    const home = join(mkdtempSync(join(tmpdir(), "mallex-private-")), "home");
    writeProxyRecord(home, { url: "http://127.0.0.1:1", pid: process.pid, startedAt: new Date().toISOString() });
    writePidfile(home, {
      key: "mlx--m",
      pid: process.pid,
      port: 1,
      baseUrl: "http://127.0.0.1:1",
      command: "x",
      argv: ["x"],
      model: "m",
      startedAt: new Date().toISOString(),
      mallexPid: process.pid,
      processGroup: false,
    });
    defaultModelSizeDeps(home).save({ m: 1 });
    const serverLog = openServerLog(join(home, "server.log"), { maxBytes: 64, keep: 2 });
    for (let i = 0; i < 8; i++) serverLog.write(`line ${i} of the server's output`);
    const log = createLogWriter(join(home, "logs", "mallex.log"), { rotation: { maxBytes: 64, maxFiles: 2 }, onExit: () => () => undefined });
    for (let i = 0; i < 8; i++) log.write(`request ${i} with a prompt`);
    await log.close();
    const saver = createLastRequestSaver(join(home, "last-request"), { onError: (message) => expect.fail(message), defer: (run) => void run() });
    saver.save(() => ({ "request.json": "{}" }));
    await saver.flush();
    await writeFileAtomicAsync(join(home, "rates.json"), "{}");
    writeFileAtomic(join(home, "drift.json"), "{}");

    const listed = walk(home);
    for (const name of [
      "server.log.1",
      "server.log.2",
      join("logs", "mallex.log.1"),
      join("logs", "mallex.log.2"),
      join("servers", `mlx--m@${process.pid}.json`),
      join("proxies", `${process.pid}.json`),
      "model-sizes.json",
      join("last-request", "request.json"),
    ]) {
      expect(listed).toContain(`${join(home, name)} 0600`);
    }
    for (const line of listed) expect(line).toMatch(/ 0(600|700)$/);
  });

  it("makeFolderFor: MALLEX_HOME and a folder in it are made private (init writes the user's config there), any other folder plainly", () => {
    const base = mkdtempSync(join(tmpdir(), "mallex-private-"));
    const home = join(base, "home");
    makeFolderFor(home, home);
    expect(modeOf(home)).toBe(0o700);
    expect(securePrivateHome(home)).toBeUndefined();
    makeFolderFor(join(base, "fresh-home", "configs"), join(base, "fresh-home"));
    expect(modeOf(join(base, "fresh-home"))).toBe(0o700);
    expect(modeOf(join(base, "fresh-home", "configs"))).toBe(0o700);
    makeFolderFor(join(base, "project"), home);
    expect(modeOf(join(base, "project"))).toBe(0o777 & ~process.umask());
    // A sibling whose name starts like the home's is not in it.
    makeFolderFor(join(base, "home-other"), home);
    expect(modeOf(join(base, "home-other"))).toBe(0o777 & ~process.umask());
  });

  it("securePrivateHome: 0755 → 0700 with one sentence; a private home is left alone and silent; a shared sticky folder is never changed", () => {
    const base = mkdtempSync(join(tmpdir(), "mallex-private-"));
    const open = join(base, "open");
    mkdirSync(open);
    chmodSync(open, 0o755);
    expect(securePrivateHome(open)).toMatch(/made .* private: mode 0755 → 0700/);
    expect(modeOf(open)).toBe(0o700);
    expect(securePrivateHome(open)).toBeUndefined();

    const fresh = join(base, "a", "b");
    expect(securePrivateHome(fresh)).toBeUndefined();
    expect(modeOf(fresh)).toBe(0o700);
    expect(modeOf(join(base, "a"))).toBe(0o700);

    const sticky = join(base, "sticky");
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    expect(securePrivateHome(sticky)).toMatch(/can be read by other users \(mode 01777\) and is not yours to change/);
    expect(statSync(sticky).mode & 0o7777).toBe(0o1777);
  });
});
