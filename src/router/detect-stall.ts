import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicToolResultBlock, AnthropicToolUseBlock } from "../translate/anthropic-types.js";
import { ownText } from "./own-text.js";

/**
 * A model that is stuck, as the conversation shows it: `failing-call` — its last two tool calls were
 * the same call (tool and input) and both came back as errors; `no-progress` — it made the same tool
 * calls in each of its last three turns, or wrote the same text in each with nothing to show for it
 * (no calls, or only failed ones). `detail` says which, in a few words, for the route's reason.
 */
export interface Stall {
  kind: "failing-call" | "no-progress";
  detail: string;
}

/** Assistant turns looked at: a failing call needs the last two, no progress the last three. */
const TURNS = 3;

/**
 * Claude Code's wording of a call it refused or that failed before it ran (an Edit whose old_string
 * is not in the file, a Write to a file never read): the result's text is wrapped in this tag. Most
 * such results also carry `is_error: true`; the tag counts on its own so a client that drops the flag
 * does not hide the failure.
 */
const TOOL_USE_ERROR = /^\s*<tool_use_error>/;

/** One assistant turn of the recent history, with which of its calls failed (from the results that followed it). */
interface Turn {
  calls: AnthropicToolUseBlock[];
  text: string;
  failed: ReadonlySet<string>;
}

/**
 * Whether the model that wrote this conversation is stalled. Only the turns since the user's last own
 * words count (a new instruction starts afresh), and only the last three assistant turns are read:
 * the walk goes back from the end and stops there, so a long history costs no more than a short one.
 * Pure.
 */
export function detectStall(messages: readonly AnthropicMessageParam[]): Stall | undefined {
  const turns = recentTurns(messages);
  return failingCall(turns) ?? noProgress(turns);
}

/** The last assistant turns, newest first, back to the user's last own words. */
function recentTurns(messages: readonly AnthropicMessageParam[]): Turn[] {
  const turns: Turn[] = [];
  // The results of the user message after the assistant turn the walk reaches next.
  let failed: ReadonlySet<string> = new Set();
  for (let i = messages.length - 1; i >= 0 && turns.length < TURNS; i--) {
    const message = messages[i]!;
    const blocks: AnthropicContentBlock[] = typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    if (message.role === "user") {
      if (ownText(blocks) !== "") break;
      failed = failedCalls(blocks);
    } else if (message.role === "assistant") {
      turns.push({ calls: blocks.filter((b): b is AnthropicToolUseBlock => b.type === "tool_use"), text: assistantText(blocks), failed });
      failed = new Set();
    }
    // A `role: "system"` message (Claude Code's agent list) says nothing about progress.
  }
  return turns;
}

/** A failed call of the last turn that the turn before made too, with the same input, and that failed there as well. */
function failingCall([last, previous]: Turn[]): Stall | undefined {
  if (!last || !previous) return undefined;
  for (const call of last.calls) {
    if (!last.failed.has(call.id)) continue;
    const again = previous.calls.some(
      (before) => previous.failed.has(before.id) && before.name === call.name && canonicalJson(before.input) === canonicalJson(call.input),
    );
    if (again) return { kind: "failing-call", detail: `${describeCall(call)} failed twice with the same input` };
  }
  return undefined;
}

/** The same tool calls in each of the last three turns, whatever the results; or else the same text and nothing done. */
function noProgress(turns: Turn[]): Stall | undefined {
  if (turns.length < TURNS) return undefined;
  const [last, ...earlier] = turns as [Turn, ...Turn[]];
  if (last.calls.length > 0 && earlier.every((turn) => sameCalls(turn.calls, last.calls))) {
    const more = last.calls.length > 1 ? ` (and ${last.calls.length - 1} more call${last.calls.length > 2 ? "s" : ""})` : "";
    return { kind: "no-progress", detail: `${describeCall(last.calls[0]!)}${more} repeated with the same input ${TURNS} turns in a row` };
  }
  // The same words over calls that got somewhere (reading one file after another) are only a habit of
  // phrasing; over no calls, or calls that all failed, they are the model going round in circles.
  if (last.text !== "" && turns.every((turn) => turn.text === last.text && turn.calls.every((call) => turn.failed.has(call.id)))) {
    const failing = turns.some((turn) => turn.calls.length > 0) ? ", its calls failing" : "";
    return { kind: "no-progress", detail: `the same text ${TURNS} turns in a row ("${excerpt(last.text, 40)}")${failing}` };
  }
  return undefined;
}

/** The same calls in any order: names first, the canonical input only when they agree. */
function sameCalls(a: readonly AnthropicToolUseBlock[], b: readonly AnthropicToolUseBlock[]): boolean {
  if (a.length !== b.length) return false;
  const names = (calls: readonly AnthropicToolUseBlock[]) =>
    calls
      .map((c) => c.name)
      .sort()
      .join("\n");
  if (names(a) !== names(b)) return false;
  const keys = (calls: readonly AnthropicToolUseBlock[]) =>
    calls
      .map((c) => `${c.name}\n${canonicalJson(c.input)}`)
      .sort()
      .join("\n\n");
  return keys(a) === keys(b);
}

/** Ids of the tool calls whose result in these blocks is an error. */
function failedCalls(blocks: readonly AnthropicContentBlock[]): ReadonlySet<string> {
  const failed = new Set<string>();
  for (const block of blocks) if (block.type === "tool_result" && isFailure(block)) failed.add(block.tool_use_id);
  return failed;
}

function isFailure(result: AnthropicToolResultBlock): boolean {
  if (result.is_error === true) return true;
  const content = result.content;
  const text = typeof content === "string" ? content : content?.find((b) => b.type === "text")?.text;
  return text !== undefined && TOOL_USE_ERROR.test(text);
}

function assistantText(blocks: readonly AnthropicContentBlock[]): string {
  return blocks
    .flatMap((b) => (b.type === "text" ? [b.text] : []))
    .join("\n")
    .trim();
}

/** JSON with every object's keys sorted: the same input written in another key order compares equal. */
function canonicalJson(value: unknown): string {
  return (
    JSON.stringify(value, (_key, v: unknown) =>
      v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
    ) ?? "undefined"
  );
}

/** `Edit on src/a.ts`, `Bash "npm test"`, or the tool's name alone: what the call was about, briefly. */
function describeCall(call: AnthropicToolUseBlock): string {
  const input = call.input !== null && typeof call.input === "object" ? (call.input as Record<string, unknown>) : {};
  const path = [input.file_path, input.notebook_path, input.path].find((v): v is string => typeof v === "string" && v !== "");
  if (path !== undefined) return `${call.name} on ${shortPath(path)}`;
  const words = [input.command, input.pattern, input.url, input.query].find((v): v is string => typeof v === "string" && v.trim() !== "");
  return words === undefined ? call.name : `${call.name} "${excerpt(words, 40)}"`;
}

/** The last two parts of a path (Claude Code sends absolute ones): enough to name the file in a header. */
function shortPath(path: string): string {
  const parts = path.split(/[\\/]/).filter((p) => p !== "");
  return parts.length > 2 ? parts.slice(-2).join("/") : path;
}

function excerpt(text: string, max: number): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
