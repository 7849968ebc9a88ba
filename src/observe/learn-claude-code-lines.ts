import { delimiter, dirname } from "node:path";
import { runInOwnGroup } from "../shared/run-in-own-group.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { CHECKED_CLAUDE_CODE } from "../trim/claude-code/claude-code-versions.js";
import { builtInCovers } from "../trim/claude-code/own-lines.js";
import { ownLinesOfRequest } from "../trim/claude-code/own-lines-of-request.js";
import { recognizeClaudeCode } from "../trim/claude-code/recognize-claude-code.js";
import { captureFirstRequest, type CaptureOptions } from "./capture-claude-code.js";
import { readLearnedRelease, saveLearnedRelease, type ClaudeCodeLines } from "./claude-code-lines.js";

export interface LearnClaudeCodeOptions {
  /** The Claude Code executable `mallex run` launches. */
  bin: string;
  /**
   * The variables mallex gives it that change how it words its prompt (the model it names, tool
   * search off, the context window): mallex's own, none of the user's.
   */
  env: Readonly<Record<string, string>>;
  mallexHome: string;
  /** The running proxy's learned releases: a release learned here is added to them. */
  lines: ClaudeCodeLines;
  /** Ctrl-C while it learns: the captures' process groups are ended. */
  signal?: AbortSignal;
  deps?: { now(): number; date(): Date };
}

export type LearnOutcome =
  | { kind: "covered" | "cached"; version: string }
  | { kind: "learned"; version: string; ms: number; lines: number }
  | { kind: "failed"; version?: string; why: string };

/** Longest one capture may take: the CLI answers a fake API on this machine in 0.6–2.2 s. */
const CAPTURE_MS = 30_000;

/**
 * Claude Code's own text, learned from the release `mallex run` is about to launch when the built-in
 * lines were not learned from that release (a release newer, older or between the checked ones,
 * whose new sections would otherwise be taken for the user's and kept), once per release: the first
 * run captures it offline — a fresh HOME and an empty project, so that everything in the captures is
 * Claude Code's and nothing of the user's is learned — and keeps the prints in MALLEX_HOME; later
 * runs (and every proxy at its start, loadClaudeCodeLines) read them from there. Never throws: a
 * failure is an outcome, and the run goes on with the built-in lines.
 */
export async function learnClaudeCodeLines(options: LearnClaudeCodeOptions): Promise<LearnOutcome> {
  const { now, date } = options.deps ?? { now: () => performance.now(), date: () => new Date() };
  const started = now();
  const asked = await runInOwnGroup(options.bin, ["--version"], { timeoutMs: 10_000, maxOutputChars: 4096, ...signalOf(options) });
  const version = /^(\d+\.\d+\.\d+)/.exec(asked.output.trim())?.[1];
  if (version === undefined) return { kind: "failed", why: `\`${options.bin} --version\` said no version (${describeRun(asked)})` };
  if (builtInCovers(version)) return { kind: "covered", version };
  if (options.lines.learned.has(version)) return { kind: "cached", version };
  // Another mallex may have learned it since this proxy started.
  const saved = readLearnedRelease(options.mallexHome, version);
  if (saved !== undefined) {
    options.lines.add(saved);
    return { kind: "cached", version };
  }
  try {
    const prints = await captureOwnLines(options, version);
    saveLearnedRelease(options.mallexHome, { version, prints: [...prints], learnedAt: date().toISOString() });
    options.lines.add({ version, prints: [...prints] });
    return { kind: "learned", version, ms: Math.round(now() - started), lines: prints.size };
  } catch (error) {
    return { kind: "failed", version, why: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * The settings the release is captured in, at once: as installed (a user who runs `claude` against
 * `mallex proxy` later), as `mallex run` launches it, its plan mode, and its Explore subagent (a
 * prompt of its own). The first two are needed; the others add what they bring, when they bring it.
 */
async function captureOwnLines(options: LearnClaudeCodeOptions, version: string): Promise<Set<string>> {
  const runs: { needed: boolean; capture: Pick<CaptureOptions, "env" | "args" | "subagent"> }[] = [
    { needed: true, capture: {} },
    { needed: true, capture: { env: options.env } },
    { needed: false, capture: { env: options.env, args: ["--permission-mode", "plan"] } },
    { needed: false, capture: { env: options.env, args: ["--allowedTools", "Agent,Task,Read,Glob,Grep,Bash"], subagent: "Explore" } },
  ];
  // A `claude` that is a node script (a release before the native binary) finds node where mallex's is.
  const path = [dirname(process.execPath), "/usr/bin", "/bin"].join(delimiter);
  const captures = await Promise.allSettled(
    runs.map((run) => captureFirstRequest({ bin: options.bin, ...run.capture, path, timeoutMs: CAPTURE_MS, ...signalOf(options) })),
  );
  const prints = new Set<string>();
  captures.forEach((capture, index) => {
    if (capture.status === "rejected") {
      if (runs[index]!.needed) throw capture.reason;
      return;
    }
    const { body, headers } = capture.value;
    if (!isCapturedRequest(body)) throw new Error("its request is not a Messages request");
    // The capture must be the release asked about: a `claude` that is a wrapper may start another.
    const sent = recognizeClaudeCode(body, headers["user-agent"])?.version;
    if (sent !== version) throw new Error(`\`${options.bin}\` says ${version} but sent its request as ${sent ?? "no version"}`);
    for (const print of ownLinesOfRequest(body)) prints.add(print);
  });
  return prints;
}

/** The outcome as `mallex run` says it: a line when something was learned or could not be; nothing when the lines were known. */
export function describeLearnOutcome(outcome: LearnOutcome): string | undefined {
  const { oldest, newest } = CHECKED_CLAUDE_CODE;
  switch (outcome.kind) {
    case "covered":
    case "cached":
      return undefined;
    case "learned":
      return `mallex: learned Claude Code ${outcome.version}'s own text (${(outcome.ms / 1000).toFixed(1)} s): trimming now tells it from yours`;
    case "failed":
      return `mallex: could not learn ${outcome.version === undefined ? "Claude Code" : `Claude Code ${outcome.version}`}'s own text (${oneLine(outcome.why)}): trimming goes by the releases it was checked against (${oldest}–${newest})`;
  }
}

/** A captured body that holds what ownLinesOfRequest reads: a system prompt of text blocks (or a string) and messages. */
function isCapturedRequest(body: unknown): body is MessagesRequest {
  if (typeof body !== "object" || body === null) return false;
  const { system, messages } = body as { system?: unknown; messages?: unknown };
  const textBlocks = (value: unknown) => Array.isArray(value) && value.every((block) => typeof block === "object" && block !== null && "type" in block);
  const systemOk =
    system === undefined || typeof system === "string" || (textBlocks(system) && (system as { text?: unknown }[]).every((b) => typeof b.text === "string"));
  const messagesOk =
    Array.isArray(messages) && messages.every((message: { content?: unknown } | null) => typeof message?.content === "string" || textBlocks(message?.content));
  return systemOk && messagesOk;
}

function signalOf(options: LearnClaudeCodeOptions): { signal?: AbortSignal } {
  return options.signal === undefined ? {} : { signal: options.signal };
}

function describeRun(run: { exitCode?: number; timedOut: boolean; spawnError?: string; output: string }): string {
  if (run.spawnError !== undefined) return run.spawnError;
  if (run.timedOut) return "no answer in 10 s";
  const said = run.output.trim().split("\n", 1)[0] ?? "";
  return said === "" ? `exit ${run.exitCode ?? "by a signal"}` : said.slice(0, 120);
}

/** The first line of a reason, shortened: the whole of it goes on one line of the run's start. */
function oneLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
