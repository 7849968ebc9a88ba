import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BASE, writeTree } from "./helpers/config-tree.js";
import { runCli } from "./helpers/run-cli.js";

// Runs the built CLI: `npm test` builds first.
describe("an unknown option is a usage error with a suggestion, for every command", () => {
  it("`mallex compile --chek`: exit 2, one line naming --check, and nothing compiled", async () => {
    const dir = writeTree({ "mallex.yaml": BASE });
    const result = await runCli(["compile", "--chek"], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("mallex: unknown option --chek (did you mean --check?)");
    expect(existsSync(join(dir, "generated"))).toBe(false);
  });

  it("checks aliases and other commands too; a string option's value and a positional are not options", async () => {
    const dir = writeTree({ "mallex.yaml": BASE });
    writeFileSync(join(dir, "request.json"), JSON.stringify({ model: "m", max_tokens: 1, messages: [{ role: "user", content: "hi" }] }));
    expect((await runCli(["server", "status", "-x"], { cwd: dir })).stderr).toBe("mallex: unknown option -x (`mallex server --help` lists them)");
    expect((await runCli(["doctor", "--backend-ur", "http://127.0.0.1:9/v1"], { cwd: dir })).stderr).toBe(
      "mallex: unknown option --backend-ur (did you mean --backend-url?)",
    );
    const fine = await runCli(["explain", "request.json", "-c", "mallex.yaml", "--profile", "small", "--json"], { cwd: dir });
    expect(fine.stderr).toBe("");
    expect(fine.exitCode).toBe(0);
  });

  it("`mallex run --resume`: Claude Code's options go after --, and the message says so", async () => {
    const result = await runCli(["run", "--resume"], { cwd: writeTree({ "mallex.yaml": BASE }) });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe("mallex: unknown option --resume (Claude Code's options go after --: mallex run -- --resume)");
  });

  it("`mallex serve` (no such command): one line with what it likely meant and where the list is, not the whole help", async () => {
    const result = await runCli(["serve"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe('mallex: unknown command "serve" (did you mean `mallex proxy` or `mallex server`? `mallex --help` lists the commands)');
    // Nothing close and no synonym: the way to the list alone; an option before any command is named as one.
    expect((await runCli(["frobnicate"])).stderr).toBe('mallex: unknown command "frobnicate" (`mallex --help` lists the commands)');
    expect((await runCli(["--verbose"])).stderr).toBe("mallex: unknown option --verbose (`mallex --help` lists the commands)");
  });
});
