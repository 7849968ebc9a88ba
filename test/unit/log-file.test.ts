import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { escapeLogText } from "../../src/observe/escape-log-text.js";
import { createLogWriter, type LogWriterOptions } from "../../src/observe/log-file.js";

const fixedNow = () => new Date("2026-01-01T00:00:00.000Z");
/** A writer in a fresh folder that registers no process 'exit' listener. */
function writerIn(options: LogWriterOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mallex-log-"));
  const file = join(dir, "mallex.log");
  return { dir, file, log: createLogWriter(file, { now: fixedNow, onExit: () => () => {}, ...options }) };
}

describe("escapeLogText", () => {
  it("escapes every character that could end a line or drive the terminal", () => {
    expect(escapeLogText("a\r\nb\tc")).toBe("a\\r\\nb\\tc");
    expect(escapeLogText("\u001b[31mred\u001b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(escapeLogText("nul\u0000 del\u007f c1\u0085\u009b")).toBe("nul\\x00 del\\x7f c1\\x85\\x9b");
    expect(escapeLogText("ls\u2028ps\u2029")).toBe("ls\\u2028ps\\u2029");
  });

  it("leaves ordinary text (unicode, backslashes, quotes) as it is", () => {
    const text = 'claude-opus-4-8 → qwen3 (default → medium) · 12 → 10 chars (−17%) · C:\\dir "q" ü 日本';
    expect(escapeLogText(text)).toBe(text);
  });
});

describe("createLogWriter", () => {
  it("never writes on the caller's turn: the line reaches the file only after it yields", async () => {
    const { file, log } = writerIn();
    const echoed: string[] = [];
    log.write("first", (line) => echoed.push(line));
    log.write("second");
    // Synchronously after write(): echoed, but nothing on disk yet (no sync write on the request path).
    expect(echoed).toEqual(["first"]);
    expect(existsSync(file)).toBe(false);
    await log.flush();
    expect(readFileSync(file, "utf8")).toBe("2026-01-01T00:00:00.000Z first\n2026-01-01T00:00:00.000Z second\n");
  });

  it("writes a forged line as one escaped line, and echoes it escaped", async () => {
    const { file, log } = writerIn();
    const echoed: string[] = [];
    log.write("model\r\n2026-01-01T00:00:00.000Z forged · stop end_turn\u001b[2K", (line) => echoed.push(line));
    await log.close();
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    expect(lines).toEqual(["2026-01-01T00:00:00.000Z model\\r\\n2026-01-01T00:00:00.000Z forged · stop end_turn\\x1b[2K"]);
    expect(echoed).toEqual(["model\\r\\n2026-01-01T00:00:00.000Z forged · stop end_turn\\x1b[2K"]);
  });

  it("rotates by size, keeping the configured number of old files", async () => {
    // Each line is 25 + 1 + 9 + 1 = 36 bytes; 100 bytes hold two.
    const { dir, file, log } = writerIn({ rotation: { maxBytes: 100, maxFiles: 2 } });
    for (let i = 0; i < 9; i++) {
      log.write(`line ${i} ..`);
      await log.flush(); // one batch per line, so every write is its own rotation decision
    }
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(["mallex.log", "mallex.log.1", "mallex.log.2"]);
    const lines = (name: string) =>
      readFileSync(join(dir, name), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.slice(25));
    expect(lines("mallex.log")).toEqual(["line 8 .."]);
    expect(lines("mallex.log.1")).toEqual(["line 6 ..", "line 7 .."]);
    expect(lines("mallex.log.2")).toEqual(["line 4 ..", "line 5 .."]);
    expect(readFileSync(file, "utf8").length).toBeLessThanOrEqual(100);
  });

  it("flushes what is still queued, synchronously, when the process exits before close()", () => {
    let onExit: (() => void) | undefined;
    const { file, log } = writerIn({ onExit: (flush) => ((onExit = flush), () => {}) });
    log.write("last words");
    expect(existsSync(file)).toBe(false);
    onExit!();
    expect(readFileSync(file, "utf8")).toBe("2026-01-01T00:00:00.000Z last words\n");
  });

  it("says once when the file cannot be written, and keeps echoing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-log-"));
    const errors: string[] = [];
    // The log file's path is a folder: every append fails.
    const log = createLogWriter(dir, { onExit: () => () => {}, onError: (message) => errors.push(message) });
    const echoed: string[] = [];
    log.write("a", (line) => echoed.push(line));
    log.write("b", (line) => echoed.push(line));
    await log.close();
    expect(echoed).toEqual(["a", "b"]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^mallex: cannot write the log file /);
  });
});
