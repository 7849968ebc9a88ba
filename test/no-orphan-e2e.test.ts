/**
 * SIGKILL of mallex leaves nothing behind: `mallex proxy` and `mallex run` (built CLI, real
 * processes) with the fake mlx-lm.server as their model server, killed with SIGKILL while it runs
 * (and, under `run`, while Claude Code waits for an answer). The death watches stop the server's
 * whole process group and Claude Code; its port is free again; `mallex server status` reports the
 * record stale and removes it. Linux only (/proc); every wait is a poll with a generous deadline.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { readPidfiles, type ServerPidfile } from "../src/supervisor/processes/pidfile.js";
import { makeProject, runMallex } from "./helpers/claude-code.js";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { childrenMatching, eventually, isLive, liveGroupMembers, portAnswers, processesMatching } from "./helpers/process-tree.js";
import { runCli } from "./helpers/run-cli.js";

const FAKE_CLI = fileURLToPath(new URL("./fakes/mlx-lm-server-cli.js", import.meta.url));

/** The one server record under MALLEX_HOME, once there is one. */
async function serverRecord(home: string): Promise<ServerPidfile> {
  let record: ServerPidfile | undefined;
  await eventually("a server pidfile", () => {
    const entry = readPidfiles(home)[0];
    record = entry && "record" in entry ? entry.record : undefined;
    return record !== undefined;
  });
  return record!;
}

/** The server, its process group, its port and its death watch are gone; status says stale once and removes the record. */
async function expectNothingLeft(home: string, record: ServerPidfile, mallexPid: number): Promise<void> {
  await eventually(`the server (pid ${record.pid}) and its process group are gone`, () => liveGroupMembers(record.pid).length === 0);
  await eventually(`nothing answers on port ${record.port}`, async () => !(await portAnswers(record.port)));
  await eventually("the server's death watch has exited", () => watchesOf(record.pid) === 0);
  const status = await runCli(["server", "status"], { env: { MALLEX_HOME: home } });
  expect(status.stdout).toMatch(
    new RegExp(
      `^${record.key}  pid ${record.pid}  port ${record.port}  .*  stale \\(not running\\)  \\(its mallex pid ${mallexPid} is gone\\); pidfile removed$`,
    ),
  );
  expect(readPidfiles(home)).toEqual([]);
}

const watchesOf = (pid: number) => processesMatching(`mallex-death-watch ${pid}`).length;

describe.skipIf(process.platform !== "linux")("SIGKILL of mallex leaves no process behind", () => {
  it("mallex proxy: the supervised server (its process group) is stopped and its port freed", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const proxy = await startProxyProcess(["--server-command", `node ${FAKE_CLI} --port {port} --model {model}`], home);
    try {
      const response = await fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "claude-opus-4-8", max_tokens: 20, messages: [{ role: "user", content: "echo me" }] }),
      });
      expect(response.status, proxy.output()).toBe(200);
      const record = await serverRecord(home);
      expect(record.mallexPid).toBe(proxy.process.pid);
      expect(await portAnswers(record.port)).toBe(true);
      await eventually("mallex watches its server", () => watchesOf(record.pid) === 1);

      proxy.process.kill("SIGKILL");
      expect((await proxy.process).signal).toBe("SIGKILL");
      await expectNothingLeft(home, record, proxy.process.pid!);
    } finally {
      proxy.process.kill("SIGKILL");
    }
  }, 90_000);

  it("mallex run: Claude Code (waiting for an answer) and the model server are stopped", async () => {
    const project = makeProject();
    const dir = mkdtempSync(join(tmpdir(), "mallex-respond-"));
    const asked = join(dir, "asked");
    const respond = join(dir, "respond.mjs");
    // The readiness probe is answered; Claude Code's request never is: it waits while mallex is killed.
    writeFileSync(
      respond,
      `import { writeFileSync } from "node:fs";
export default (request) => {
  if (request.body.max_tokens === 1) return { text: "ok" };
  writeFileSync(${JSON.stringify(asked)}, "asked");
  return new Promise(() => {});
};
`,
    );
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    const command = `node ${FAKE_CLI} --port {port} --model {model} --respond ${respond}`;
    const mallex = runMallex(["--server-command", command, "--", "-p", "say hello", "--output-format", "json"], project, home);
    const mallexPid = mallex.pid!;
    try {
      await eventually("Claude Code's request reached the model server", () => existsSync(asked) || mallex.exitCode !== null, 60_000);
      expect(existsSync(asked)).toBe(true);
      const record = await serverRecord(home);
      const [claude] = childrenMatching(mallexPid, "claude");
      expect(claude).toBeGreaterThan(0);
      await eventually("mallex watches Claude Code and the server", () => watchesOf(claude!) === 1 && watchesOf(record.pid) === 1);

      mallex.kill("SIGKILL");
      expect((await mallex).signal).toBe("SIGKILL");
      await eventually(`Claude Code (pid ${claude}) is gone`, () => !isLive(claude!));
      await eventually("Claude Code's death watch has exited", () => watchesOf(claude!) === 0);
      await expectNothingLeft(home, record, mallexPid);
      await eventually("the respond script runs nowhere", () => processesMatching(respond).length === 0);
    } finally {
      mallex.kill("SIGKILL");
    }
  }, 120_000);
});
