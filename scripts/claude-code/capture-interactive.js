// Captures the first agent request an interactive Claude Code session sends: the real CLI in a
// terminal (tmux, on a server of its own), started with the prompt as its argument, against the fake
// Anthropic API of capture-request.js. An interactive session is not a `-p` one: Claude Code names
// itself otherwise ("You are Claude Code, Anthropic's official CLI for Claude."), adds what only a
// user at a prompt can do (the `! <command>` hint), lists built-in agents such as claude-code-guide,
// and, with non-essential traffic allowed, sends tools such as DesignSync. Plain JavaScript: the
// learning script runs it with node, the tests import it (capture-interactive.d.ts types it).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CAPTURE_CACHE_DIR, DEFAULT_PROMPT, makeCaptureProject, offlineClaudeEnv, readOrCapture, startFakeAnthropicApi } from "./capture-request.js";

/** The API key the session is given, and approved in its settings so no dialog asks about it. */
const API_KEY = "sk-test-mallex-interactive-0000";

/**
 * Whether tmux runs here: an interactive capture needs a terminal.
 * @type {typeof import("./capture-interactive.js").hasTmux}
 */
export function hasTmux() {
  try {
    execFileSync("tmux", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `bin <prompt>` in a tmux pane of its own (a private tmux server, killed after), in a fresh
 * HOME whose settings have onboarding done, the API key approved and the project trusted (the
 * dialogs a first interactive start shows), and returns the first POST /v1/messages that carries
 * tools (the agent's request; a title request carries none). `nonessentialTraffic: true` leaves out
 * CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC, as a user who never set it runs Claude Code (it may then
 * try its own services, which a machine offline does not reach). Throws, with the screen, when no
 * such request came within `timeoutMs`.
 * @type {typeof import("./capture-interactive.js").captureInteractiveRequest}
 */
export async function captureInteractiveRequest({
  bin,
  prompt = DEFAULT_PROMPT,
  env = {},
  args = [],
  files = {},
  nonessentialTraffic = false,
  timeoutMs = 60_000,
}) {
  const api = await startFakeAnthropicApi();
  const project = realpathSync(makeCaptureProject());
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), text);
  }
  const home = mkdtempSync(join(tmpdir(), "mallex-capture-home-"));
  writeFileSync(
    join(home, ".claude.json"),
    JSON.stringify({
      hasCompletedOnboarding: true,
      theme: "dark",
      customApiKeyResponses: { approved: [API_KEY.slice(-20)], rejected: [] },
      projects: { [project]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
    }),
  );
  const socket = join(home, "tmux.sock");
  const tmux = (...argv) => execFileSync("tmux", ["-S", socket, ...argv], { stdio: ["ignore", "pipe", "pipe"] }).toString();
  /** @type {Record<string, string>} */
  const sessionEnv = { ...offlineClaudeEnv(home), TERM: "xterm-256color", ANTHROPIC_BASE_URL: api.url, ANTHROPIC_API_KEY: API_KEY, ...env };
  if (nonessentialTraffic) delete sessionEnv.CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC;
  // A release before the native binary is a script for node, which the offline PATH may not hold.
  const command = bin.endsWith(".js") ? [process.execPath, resolve(bin)] : [resolve(bin)];
  const environment = Object.entries(sessionEnv).map(([name, value]) => `${name}=${value}`);
  /** @type {number | undefined} */
  let pid;
  try {
    tmux("new-session", "-d", "-s", "capture", "-x", "200", "-y", "50", "-c", project, "env", "-i", ...environment, ...command, prompt, ...args);
    // `env` execs Claude Code: the pane's process is the session's.
    pid = Number(tmux("display-message", "-p", "-t", "capture", "#{pane_pid}").trim());
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const first = api.requests.find((request) => new URL(request.url, api.url).pathname === "/v1/messages" && offersTools(request.body));
      if (first !== undefined) return { url: first.url, headers: first.headers, body: first.body, requests: api.requests };
      if (Date.now() > deadline) {
        let screen = "";
        try {
          screen = tmux("capture-pane", "-p", "-t", "capture");
        } catch {
          screen = "(the session has ended)";
        }
        throw new Error(`${bin} sent no agent request within ${timeoutMs} ms of an interactive start; its screen:\n${screen.trim()}`);
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  } finally {
    try {
      tmux("kill-server");
    } catch {
      // already gone with its only session
    }
    // The hang-up ends Claude Code, which writes into HOME until it has exited.
    if (pid !== undefined) await exited(pid, 10_000);
    await api.close();
    rmSync(project, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Whether a request body offers tools (the agent's request; a title request offers none). @param {any} body */
function offersTools(body) {
  return (body?.tools ?? []).length > 0;
}

/** Waits until process `pid` is gone, or `limitMs` passed (it is left, ended or not: its HOME goes anyway). */
async function exited(pid, limitMs) {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((done) => setTimeout(done, 50));
  }
}

/**
 * captureInteractiveRequest, cached on disk per (version, options, this file's text) beside the `-p`
 * captures (CAPTURE_CACHE_DIR), so a test run starts each interactive session once.
 * @type {typeof import("./capture-interactive.js").captureInteractiveRequestCached}
 */
export async function captureInteractiveRequestCached({
  bin,
  version,
  prompt = DEFAULT_PROMPT,
  env = {},
  args = [],
  files = {},
  nonessentialTraffic = false,
  cacheDir = CAPTURE_CACHE_DIR,
}) {
  const self = readFileSync(fileURLToPath(import.meta.url), "utf8");
  const sortedEnv = Object.fromEntries(Object.entries(env).sort(([a], [b]) => a.localeCompare(b)));
  const key = createHash("sha256")
    .update(JSON.stringify({ version, prompt, env: sortedEnv, args, files, nonessentialTraffic, self }))
    .digest("hex")
    .slice(0, 16);
  const file = join(cacheDir, `${version}-interactive-${key}.json`);
  return readOrCapture(file, version, () => captureInteractiveRequest({ bin, prompt, env, args, files, nonessentialTraffic }));
}
