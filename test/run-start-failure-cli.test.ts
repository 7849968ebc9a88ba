import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startProxyProcess } from "./helpers/mallex-process.js";
import { runCli } from "./helpers/run-cli.js";

// Runs the built CLI: `npm test` builds first.
describe("mallex run: a model server that fails to start is reported once", () => {
  it("a server command that exits at once: one `gave up` line, exit 1, Claude Code never started", async () => {
    const home = mkdtempSync(join(tmpdir(), "mallex-state-"));
    // The sentence is joined at run time, so the "starting on port … (command)" line does not hold it.
    const command = `${process.execPath} -e "console.error('boom: no such ' + 'model'); process.exit(3)" -- --model my-org/Tiny-Coder {port}`;
    const result = await runCli(["run", "--server-command", command, "--", "-p", "hi"], { cwd: home, env: { MALLEX_HOME: home } });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe("");
    const lines = result.stderr.split("\n");
    expect(lines.filter((line) => line.includes("boom: no such model"))).toHaveLength(1);
    expect(lines.filter((line) => line.includes("exited while starting (code 3): boom: no such model."))).toEqual([
      expect.stringMatching(/^mallex: model server my-org_Tiny-Coder: gave up: The model server my-org_Tiny-Coder exited while starting/),
    ]);
    // The command's model, not the profile's it replaces, nor the shipped config's backend name.
    // The dashboard first, where the model's progress shows while it loads; the config's files; then the load.
    expect(lines[0]).toMatch(/^mallex: dashboard: http:\/\/127\.0\.0\.1:\d+\/ui#token=mallex-[0-9a-f]{32}$/);
    expect(lines[1]).toMatch(/^mallex: config: \S+mallex\.yaml \(mallex's default\)$/);
    expect(lines[2]).toBe("mallex: starting my-org/Tiny-Coder for the medium tier…");
    expect(result.stderr).not.toMatch(/mlx--|Qwen3/);
    expect(result.stderr).not.toMatch(/Claude Code/);
  });

  it("mallex proxy: a request whose model server fails to start gets the sentence, and the log says it once", async () => {
    const command = `${process.execPath} -e "console.error('boom: no such ' + 'model'); process.exit(3)" -- --model my-org/Tiny-Coder {port}`;
    const proxy = await startProxyProcess(["--server-command", command]);
    try {
      for (const stream of [false, true]) {
        const response = await fetch(`${proxy.url}/v1/messages`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: "x", max_tokens: 10, stream, messages: [{ role: "user", content: "hi" }] }),
        });
        // The client is told the whole sentence, whichever way it asked.
        expect(await response.text()).toContain("exited while starting (code 3): boom: no such model.");
      }
    } finally {
      await proxy.stop();
    }
    const lines = proxy.output().split("\n");
    // One start (and one "gave up") per request; the request's own line points at it instead of repeating it.
    expect(lines.filter((line) => line.includes("exited while starting (code 3)"))).toEqual([
      expect.stringContaining(": gave up: "),
      expect.stringContaining(": gave up: "),
    ]);
    expect(lines.filter((line) => line.includes("refused: its model server gave up (the line above says why)"))).toHaveLength(2);
  });
});
