import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";

/**
 * The largest config or rule file mallex reads: the shipped mallex.yaml is about 30 KB, so 1 MiB is
 * room for any real team's rules while `include: [/dev/zero]` or a multi-gigabyte file costs nothing.
 */
export const RULE_FILE_MAX_BYTES = 1024 * 1024;

export type RuleFileRead = { ok: true; content: string } | { ok: false; code: string | undefined; reason: string };

/**
 * Reads a config, an included rule file or a rule pack's package.json: only a regular file, only up
 * to RULE_FILE_MAX_BYTES. The file is opened without blocking (a FIFO would otherwise wait for a
 * writer forever) and checked through its descriptor (fstat: what is read is what was checked, even
 * if the path is swapped meanwhile), and reading stops one byte past the cap whatever the size said.
 */
export function readRuleFile(path: string, maxBytes: number = RULE_FILE_MAX_BYTES): RuleFileRead {
  let fd: number;
  try {
    // O_NONBLOCK does not exist on Windows, where a FIFO cannot be opened by path anyway.
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { ok: false, code, reason: code === "ENOENT" ? "does not exist" : code === "EISDIR" ? "is a folder, not a file" : "cannot be read" };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, code: "ENOTFILE", reason: `is ${kindOf(stat)}, not a regular file` };
    if (stat.size > maxBytes)
      return { ok: false, code: "EFBIG", reason: `is ${formatBytes(stat.size)}, over the ${formatBytes(maxBytes)} a rule file may hold` };
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
      if (length > maxBytes) return { ok: false, code: "EFBIG", reason: `grew past the ${formatBytes(maxBytes)} a rule file may hold while it was read` };
    }
    return { ok: true, content: buffer.subarray(0, length).toString("utf8") };
  } catch (error) {
    return { ok: false, code: (error as NodeJS.ErrnoException).code, reason: "cannot be read" };
  } finally {
    closeSync(fd);
  }
}

function kindOf(stat: ReturnType<typeof fstatSync>): string {
  if (stat.isDirectory()) return "a folder";
  if (stat.isFIFO()) return "a FIFO (named pipe)";
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
  if (stat.isSocket()) return "a socket";
  return "not a regular file";
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
