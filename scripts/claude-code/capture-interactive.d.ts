/** Types for capture-interactive.js (plain JavaScript, run by node directly). */
import type { Capture, RecordedRequest } from "./capture-request.js";

export function hasTmux(): boolean;

export interface InteractiveCaptureOptions {
  /** The Claude Code executable. */
  bin: string;
  /** What the user asks: the session's first prompt, given as its argument. */
  prompt?: string;
  /** Added to (or replacing) the offline environment. */
  env?: Record<string, string>;
  /** CLI arguments after the prompt, e.g. ["--append-system-prompt", "…"]. */
  args?: string[];
  /** Files written into the capture project first: path → text. */
  files?: Record<string, string>;
  /** Leave CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC unset, as a user who never set it runs Claude Code. */
  nonessentialTraffic?: boolean;
  timeoutMs?: number;
}

export function captureInteractiveRequest(options: InteractiveCaptureOptions): Promise<Capture & { requests: RecordedRequest[] }>;

export function captureInteractiveRequestCached(
  options: Omit<InteractiveCaptureOptions, "timeoutMs"> & { version: string; cacheDir?: string },
): Promise<Capture & { version: string }>;
