// Captures the first Messages request a real Claude Code CLI sends, for the project's scripts and
// tests: the capture itself (`claude -p … --output-format json` offline — a fresh HOME, no retries, no
// non-essential traffic, stdin closed — against a fake Anthropic API on 127.0.0.1) is the library's
// (src/observe/capture-claude-code.ts, which `mallex run` learns an unseen release with: one copy),
// run here in a small git repository with a CLAUDE.md and cached per version and settings. Nothing
// leaves the machine. Plain JavaScript: `npm run check:claude-code` runs it with node directly, and
// the tests import it (capture-request.d.ts types it).
//
//   node scripts/claude-code/capture-request.js <claude binary> [out.json]
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { captureFirstRequest as captureInProject, DEFAULT_PROMPT } from "#dist/observe/capture-claude-code.js";

export { DEFAULT_PROMPT, offlineClaudeEnv, startFakeAnthropicApi } from "#dist/observe/capture-claude-code.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * Where captures are cached, one JSON file per (version, options).
 * @type {typeof import("./capture-request.js").CAPTURE_CACHE_DIR}
 */
export const CAPTURE_CACHE_DIR = join(ROOT, "node_modules", ".cache", "mallex", "claude-code-captures");

/**
 * A Claude Code installed in node_modules — the pinned `@anthropic-ai/claude-code`, or the newest and
 * an older release as their aliases `claude-code-newest`, `claude-code-older` — read from its own
 * package.json: its version and its `claude` (a native binary since about 2.1.150, `cli.js` before;
 * never `node_modules/.bin/claude`, which all of them claim). Undefined when it is not installed.
 * @type {typeof import("./capture-request.js").installedClaudeCode}
 */
export function installedClaudeCode(packageName) {
  const dir = join(ROOT, "node_modules", packageName);
  let text;
  try {
    text = readFileSync(join(dir, "package.json"), "utf8");
  } catch {
    return undefined;
  }
  const manifest = JSON.parse(text);
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin.claude;
  return { version: manifest.version, bin: join(dir, bin) };
}

/**
 * A small git repository with a CLAUDE.md, like the one the shared captures were made in.
 * @type {typeof import("./capture-request.js").makeCaptureProject}
 */
export function makeCaptureProject(claudeMd = "# Project notes\n- Keep answers short.\n") {
  const dir = mkdtempSync(join(tmpdir(), "mallex-project-"));
  writeFileSync(join(dir, "CLAUDE.md"), claudeMd);
  const env = { ...process.env, GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@t", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@t" };
  const git = (...args) => execFileSync("git", args, { cwd: dir, env, stdio: "ignore" });
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", "initial commit");
  return dir;
}

/**
 * The core's captureFirstRequest (src/observe/capture-claude-code.ts, which `mallex run` learns an
 * unseen release with) in the project the shared captures were made in: a small git repository with
 * a CLAUDE.md (makeCaptureProject), where the core's own default is an empty folder.
 * @type {typeof import("./capture-request.js").captureFirstRequest}
 */
export function captureFirstRequest(options) {
  return captureInProject({ makeProject: () => makeCaptureProject(), ...options });
}

/**
 * captureFirstRequest, cached on disk per (version, prompt, env, this file's text) in `cacheDir`, so
 * a test run captures each version once. Concurrent processes may both capture; the last rename wins.
 * @type {typeof import("./capture-request.js").captureFirstRequestCached}
 */
export async function captureFirstRequestCached({
  bin,
  version,
  prompt = DEFAULT_PROMPT,
  env = {},
  args = [],
  subagent,
  files = {},
  cacheDir = CAPTURE_CACHE_DIR,
}) {
  const file = join(cacheDir, `${version}-${captureKey(version, prompt, env, args, subagent, files)}.json`);
  return readOrCapture(file, version, () => captureFirstRequest({ bin, prompt, env, args, subagent, files }));
}

/**
 * The capture cached in `file`, else `capture()`'s, written there whole (a rename: concurrent
 * processes may both capture; the last rename wins).
 * @type {typeof import("./capture-request.js").readOrCapture}
 */
export async function readOrCapture(file, version, capture) {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch {
    // not cached yet (or unreadable): capture it
  }
  const { url, headers, body } = await capture();
  const captured = { version, url, headers, body };
  mkdirSync(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, JSON.stringify(captured));
  renameSync(partial, file);
  return captured;
}

function captureKey(version, prompt, env, args, subagent, files) {
  const sortedEnv = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  // This file and the library's capture: a change to either captures again.
  const self = [fileURLToPath(import.meta.url), join(ROOT, "dist", "src", "observe", "capture-claude-code.js")]
    .map((file) => readFileSync(file, "utf8"))
    .join("\n");
  return createHash("sha256")
    .update(JSON.stringify({ version, prompt, env: sortedEnv, args, subagent, files, self }))
    .digest("hex")
    .slice(0, 16);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [bin, out] = process.argv.slice(2);
  if (bin === undefined) {
    console.error("usage: node scripts/claude-code/capture-request.js <claude binary> [out.json]");
    process.exit(2);
  }
  const capture = await captureFirstRequest({ bin });
  const text = JSON.stringify({ url: capture.url, headers: capture.headers, body: capture.body }, null, 1);
  if (out === undefined) console.log(text);
  else {
    mkdirSync(dirname(resolve(out)), { recursive: true });
    writeFileSync(out, `${text}\n`);
    console.error(`${out}: ${capture.body.model}, ${JSON.stringify(capture.body).length} chars, exit ${capture.exitCode ?? "by a signal"}`);
  }
}
