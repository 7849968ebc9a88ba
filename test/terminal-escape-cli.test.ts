/**
 * Terminal injection through the CLI (the built CLI: `npm run build` first, as `npm test` does):
 * `mallex status` prints model names a client chose, `mallex server logs` lines a model server
 * printed. Neither may reach the terminal as control sequences: an OSC title, a screen clear, a CR
 * that overwrites a line or a LF that forges one all come out as visible escapes.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openServerLog, serverLogPath } from "../src/supervisor/server-log.js";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { ONE_LOCAL_PROFILE, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { MALLEX_BIN, runCli } from "./helpers/run-cli.js";

/** OSC 0 (window title), ED 2 (clear screen), CSI via C1, a CR that rewinds and a LF that forges a line. */
const HOSTILE = "claude-\u001b]0;pwned\u0007\u001b[2J\u009b31mred\rFAKE\nmallex: all good\u2028";
const ESCAPED = "claude-\\x1b]0;pwned\\x07\\x1b[2J\\x9b31mred\\rFAKE\\nmallex: all good\\u2028";

/** Any byte that drives a terminal: C0 but \n, DEL, C1, and the Unicode line separators. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

async function eventually(check: () => boolean, timeoutMs = 5000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !check(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
  }
}

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ model: "test-model" });
});
afterAll(() => mlx.close());

describe("terminal output is escaped", () => {
  it("mallex status (and -f) prints a client's hostile model name as visible escapes, on one line", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-escape-"));
    const config = join(writeTree({ "mallex.yaml": ONE_LOCAL_PROFILE }), "mallex.yaml");
    const proxy = await startProxyProcess(["--config", config, "--backend-url", mlx.url], home);
    const ask = () =>
      fetch(`${proxy.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: HOSTILE, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
      });
    try {
      const answer = await ask();
      expect(answer.status, await answer.clone().text()).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const status = await runCli(["status"], { env: { MALLEX_HOME: home } });
      expect(status.exitCode, status.stderr).toBe(0);
      expect(status.stdout).toContain(ESCAPED);
      expect(status.stdout).not.toMatch(CONTROL);
      expect(status.stdout.split("\n").filter((line) => line.startsWith("mallex: all good"))).toEqual([]);

      const follow = execa("node", [MALLEX_BIN, "status", "-f"], { env: { MALLEX_HOME: home }, reject: false, stdin: "ignore" });
      let printed = "";
      follow.stdout?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
      await eventually(() => printed.includes("Requests:"));
      await (await ask()).text();
      await eventually(() => printed.split(ESCAPED).length === 3);
      follow.kill("SIGINT");
      await follow;
      expect(printed).not.toMatch(CONTROL);
    } finally {
      await proxy.stop();
    }
  });

  it("mallex server logs (and -f) prints a server's escape codes as visible escapes", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-escape-"));
    // Written by the writer the supervisor uses for a server's output, one line as the server
    // printed it (a LF in its output is a line break in the file: lines are what it logs).
    const log = openServerLog(serverLogPath(home));
    const line = HOSTILE.replace("\n", " ");
    const shown = ESCAPED.replace("\\n", " ");
    log.write(`[mlx--test] ${line}`);
    const tail = await runCli(["server", "logs"], { env: { MALLEX_HOME: home } });
    expect(tail.exitCode, tail.stderr).toBe(0);
    expect(tail.stdout).toBe(`[mlx--test] ${shown}`);

    const follow = execa("node", [MALLEX_BIN, "server", "logs", "-f", "-n", "0"], { env: { MALLEX_HOME: home }, reject: false, stdin: "ignore" });
    let printed = "";
    follow.stdout?.on("data", (chunk: Buffer) => (printed += chunk.toString()));
    // -f starts at the end of the file: keep appending until it has picked one line up.
    await eventually(() => {
      if (!printed.includes(`later ${shown}`)) log.write(`[mlx--test] later ${line}`);
      return printed.includes(`later ${shown}`);
    }, 10_000);
    follow.kill("SIGTERM");
    await follow;
    expect(printed).not.toMatch(CONTROL);
  });
});
