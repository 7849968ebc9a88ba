/**
 * A model server's output is read in lines of at most MAX_SERVER_LINE_CHARS (issue 37): one that
 * never ends its line is taken in pieces, never held whole, in mallex (launchServer) as in the
 * detached sink that reads a kept server's output once mallex has exited.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { launchServer } from "../../src/supervisor/launch-server.js";
import { OUTPUT_SINK_SOURCE } from "../../src/supervisor/output-sink.js";
import { MAX_SERVER_LINE_CHARS } from "../../src/supervisor/server-line-limit.js";

// 1 MiB with no newline, then one short line.
const PRINT = `process.stdout.write("x".repeat(1024 * 1024)); process.stdout.write("\\nend\\n");`;

describe("a server line that never ends", () => {
  it("is taken in pieces by launchServer: server.log, onLine and tail() never see more than the limit at once", async () => {
    const lines: string[] = [];
    const server = launchServer({
      argv: [process.execPath, "-e", PRINT],
      env: {},
      execa,
      log: { file: "/dev/null", write: () => {} },
      onLine: (line) => lines.push(line),
    });
    await server.exited;
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(MAX_SERVER_LINE_CHARS * 2);
    expect(lines.join("").length).toBe(1024 * 1024 + 3);
    expect(lines.at(-1)).toBe("end");
    expect(Math.max(...server.tail(5).map((line) => line.length))).toBeLessThanOrEqual(MAX_SERVER_LINE_CHARS * 2);
  });

  it("is written in pieces by the detached sink", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "mallex-sink-")), "server.log");
    const server = spawn(process.execPath, ["-e", PRINT], { stdio: ["ignore", "pipe", "pipe"] });
    const sink = spawn(process.execPath, ["-e", OUTPUT_SINK_SOURCE, file, String(64 * 1024 * 1024), "1"], {
      stdio: ["ignore", "ignore", "ignore", server.stdout, server.stderr],
    });
    await new Promise((resolve) => sink.once("exit", resolve));
    const written = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => line !== "");
    expect(Math.max(...written.map((line) => line.length))).toBeLessThanOrEqual(MAX_SERVER_LINE_CHARS * 2);
    expect(written.join("").length).toBe(1024 * 1024 + 3);
  });
});
