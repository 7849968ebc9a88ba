/** Types for capture-request.js (plain JavaScript, run by node directly). */

export const CAPTURE_CACHE_DIR: string;
export const DEFAULT_PROMPT: string;

export function offlineClaudeEnv(home: string, path?: string): Record<string, string>;

export function installedClaudeCode(packageName: string): { version: string; bin: string } | undefined;

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: any;
}

export interface FakeAnthropicApi {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export function startFakeAnthropicApi(options?: { callTool?: (body: any) => { name: string; input: unknown } | undefined }): Promise<FakeAnthropicApi>;

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

export function captureFirstRequest(
  options: CaptureOptions,
): Promise<Capture & { requests: RecordedRequest[]; exitCode: number | null; stdout: string; stderr: string }>;

export function captureFirstRequestCached(
  options: Omit<CaptureOptions, "timeoutMs"> & { version: string; cacheDir?: string },
): Promise<Capture & { version: string }>;
