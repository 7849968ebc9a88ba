/** Types for capture-request.js (plain JavaScript, run by node directly). */
import type { CaptureOptions as CoreCaptureOptions, CaptureRun } from "../../src/observe/capture-claude-code.js";

export { DEFAULT_PROMPT, offlineClaudeEnv, startFakeAnthropicApi } from "../../src/observe/capture-claude-code.js";
export type { FakeAnthropicApi, RecordedRequest } from "../../src/observe/capture-claude-code.js";

export const CAPTURE_CACHE_DIR: string;

export function installedClaudeCode(packageName: string): { version: string; bin: string } | undefined;

export function makeCaptureProject(claudeMd?: string): string;

export interface CaptureOptions {
  /** The Claude Code executable. */
  bin: string;
  prompt?: string;
  /** Added to (or replacing) the offline environment. */
  env?: Record<string, string>;
  /** CLI arguments after the prompt, e.g. ["--append-system-prompt", "…"]. */
  args?: string[];
  /** Capture the first request of this built-in subagent type (Explore, Plan, general-purpose…) instead. */
  subagent?: string;
  /** Files written into the capture project first: path → text. */
  files?: Record<string, string>;
  timeoutMs?: number;
}

export interface Capture {
  url: string;
  headers: Record<string, string>;
  body: any;
}

export function captureFirstRequest(options: CaptureOptions & Pick<CoreCaptureOptions, "makeProject" | "path" | "signal">): Promise<CaptureRun & Capture>;

export function captureFirstRequestCached(
  options: Omit<CaptureOptions, "timeoutMs"> & { version: string; cacheDir?: string },
): Promise<Capture & { version: string }>;

export function readOrCapture(file: string, version: string, capture: () => Promise<Capture>): Promise<Capture & { version: string }>;
