import type { Size } from "../../generated/config.js";
import type { CompiledFilter, CompiledProfile, CompiledToolPolicy, CompiledTrimming } from "../compile/routing-table.js";
import type { AnthropicCustomTool, MessagesRequest } from "../translate/anthropic-types.js";
import type { TrimError } from "./trim-error.js";

/** Everything the routing table decides about trimming one request for one profile. */
export interface TrimPlan {
  size: Size;
  trimming: CompiledTrimming;
  /** Highest priority first (the table's order); filters whose `sizes` leave this size out are skipped. */
  filters: readonly CompiledFilter[];
  tools: CompiledToolPolicy;
  profile: CompiledProfile;
  /** How to give the profile's model a larger context, in its server's words (contextFix): what a refusal names. */
  contextFix?: string;
  /** Where the profile's settings are changed, `in ~/.mallex/mallex.yaml` (inConfigFile); absent: `in mallex.yaml`. */
  settingsIn?: string;
}

/**
 * One thing a rule did. `rule` is a filter or keep-rule id from mallex.yaml, or a built-in step:
 * `billing-header`, `unknown-reminder`, `system-template`, `tool-allowlist` (a Claude Code built-in the
 * allowlist leaves out), `tool-drop` (a tool a `drop` glob names), `tool-deferred` (a `defer_loading`
 * tool no `tool_reference` has loaded), `tool-description`, `tool-schema`, `tools-prompt`, `budget`, `compaction` (fitCompaction),
 * `continuation` (fitContinuation: a cut answer Claude Code asks to go on with, kept to its tail in a small context),
 * `relative-paths` (relativeContextPaths), `claude-md-to-system` (findClaudeMd: CLAUDE.md moved from its reminder
 * into the system prompt).
 * A keep rule's id also names the fact it moved out of a reminder or system message into the template.
 */
export interface TrimRuleHit {
  rule: string;
  /** Where it acted, in the request's own dotted paths: `system.0`, `messages.0.content.0 (reminder 1)`, `tools.Agent`. */
  target: string;
  /** Characters of prompt text removed; negative where a rule adds text (a rendered tools prompt). */
  charsRemoved: number;
  /** A `user_text` filter's hit: the characters of the user's own text its unit kept. */
  userChars?: number;
}

/** A size in characters and estimated tokens (see estimateTokens). */
export interface PromptSize {
  chars: number;
  tokens: number;
}

export interface TrimReport {
  /** Every rule that fired, in the order the steps ran: filters, tools, system prompt, budget. */
  rules: TrimRuleHit[];
  /** The prompt the request carries (system, messages and tools as JSON), before and after trimming. */
  before: PromptSize;
  after: PromptSize;
  /**
   * How the system prompt was made: rendered from a template (with the keep rules that found
   * something, and those that found nothing), or the request's own (filtered).
   */
  system: { mode: "template"; template: string; sections: string[]; missing?: string[]; user?: UserTextReport } | { mode: "passthrough"; reason: string };
  /**
   * The tools the model is offered, in request order, and how; `client`: those of them that are not
   * Claude Code's built-ins (MCP servers', other clients' own), which no allowlist removes.
   */
  tools: { mode: "native" | "xml"; offered: string[]; client: string[] };
  /** The profile's input budget in tokens, when it has one. */
  budgetTokens?: number;
  /** The trimmed system prompt and tools, in estimated tokens: what every request of a session carries. */
  prefixTokens: number;
  /** Set when Claude Code sent the request (see recognizeClaudeCode). */
  claudeCode?: ClaudeCodeReport;
  /**
   * Set for Claude Code's compaction request (recognizeCompaction): the tokens its next request
   * carries again besides the summary (the trimmed system prompt and tools, the opening reminders,
   * the last answer), and whether mallex rewrote it to fit (fitCompaction); `lastPiece`: it asks to
   * go on with its cut summary for the last time Claude Code will (MAX_GO_ON_REQUESTS), so nothing
   * follows this prompt whatever its answer.
   */
  compaction?: { carriedTokens: number; rewritten: boolean; lastPiece?: true };
  /**
   * Set for Claude Code's request to go on with a cut answer that mallex kept to the answer's tail
   * (fitContinuation): the tokens of the request as Claude Code sent it (trimmed), every piece of the
   * answer in it — what its next turn carries again.
   */
  continuation?: { carriedTokens: number };
  /** Each part of the request the user wrote or configured, and what became of it (describeUserParts). */
  user: UserPart[];
}

/**
 * A part of the request the user wrote or configured — CLAUDE.md, an appended system prompt, the
 * hooks' output, an MCP server's instructions or tool — and what trimming made of it.
 */
export interface UserPart {
  /** As the request names it: "CLAUDE.md", "mcp__tickets__lookup_ticket", "MCP server tickets's instructions". */
  part: string;
  /** Characters of its text the model gets (0 for a tool offered: its schema is measured upstream). */
  chars: number;
  fate: "system prompt" | "conversation" | "named in one line" | "offered" | "through ToolSearch" | "not placed" | "not offered";
}

/**
 * The user's own text in the system prompt (findUserSystemText) and what became of it: `placed`
 * when the template's `{{user_instructions}}` put every passage into the prompt the model gets.
 */
export interface UserTextReport {
  passages: number;
  chars: number;
  placed: boolean;
  /** The passages by what they are: each CLAUDE.md or memory file by its label, the rest as the system prompt's own lines. */
  parts: { part: string; chars: number }[];
}

/**
 * What trimming made of a request Claude Code sent: its version, and each part of it no rule of
 * mallex.yaml placed — a reminder or system message no filter or keep rule knows (passed on
 * unwrapped), a built-in tool mallex's list lacks, text left in the trimmed conversation that names
 * a tool the model is not offered. A release that changed its request shows here first.
 */
export interface ClaudeCodeReport {
  version?: string;
  unplaced: string[];
  /**
   * Those of `unplaced` that say the release itself changed, whoever configured what (a built-in tool
   * mallex does not know, the user's text a template could not place): the drift alarm raises them
   * on every release. Absent when there are none.
   */
  structural?: string[];
  /**
   * "learned" when its own text was told from the user's by lines learned from this release's
   * installed CLI (`mallex run`), as well as those of the checked releases. Absent: the built-in lines.
   */
  ownLines?: "learned";
}

interface TrimOutcome {
  request: MessagesRequest;
  report: TrimReport;
  /**
   * The original definitions of the tools the model was offered. Check its calls against these:
   * the trimmed request carries simplified schemas (native mode) or none at all (xml mode).
   */
  offeredTools: AnthropicCustomTool[];
}

/** `ok: false` when the request is still over the profile's input budget after every cut. */
export type TrimResult = (TrimOutcome & { ok: true }) | (TrimOutcome & { ok: false; error: TrimError });
