/** Types for measure-trimming.js (plain JavaScript, run by node directly). */

export const SIZE_GOALS: Readonly<{ small: number; medium: number }>;

export interface SizeFigures {
  /** The upstream request's characters; undefined when the request could not be trimmed. */
  chars: number | undefined;
  /** The share of the request's characters cut (0.95: 95%). */
  cut: number | undefined;
  /** The share of Claude Code's own text cut (`mallex explain`'s cut.claudeCode), and the user's characters kept whole. */
  ownCut?: number;
  userChars?: number;
  /** Whether the system prompt was rendered from a template. */
  template: boolean;
  /** What trimming could not place, one line each. */
  unplaced: string[];
  /** The proxy's refusal (over the input budget), if any. */
  error?: string;
}

export interface ShippedTrimming {
  profiles: Record<string, string>;
  /** The exact upstream request a profile sends for one body; `trim: false` sends it untrimmed. */
  upstream(body: unknown, profileName: string, options?: { trim?: boolean }): any;
  measure(body: unknown): { requestChars: number; sizes: Record<string, SizeFigures> };
}

export function loadShippedTrimming(root?: string): Promise<ShippedTrimming>;

/** The figures of one `explainRequest` result (an Explanation, with `claudeCode.unplaced` where the report has it). */
export function figuresOf(explanation: {
  before: { chars: number };
  after: { chars: number };
  rules: { rule: string; target: string; charsRemoved: number }[];
  system?: { mode: "template" } | { mode: "passthrough"; reason: string };
  claudeCode?: { version?: string; unplaced: string[] };
  cut?: { claudeCode: number; userChars: number };
  error?: string;
}): SizeFigures;

export function driftOf(sizes: Record<string, SizeFigures>): string[];

export function percent(share: number | undefined): string;
