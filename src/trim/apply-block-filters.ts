import type {
  AnthropicContentBlock,
  AnthropicMessageParam,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  MessagesRequest,
} from "../translate/anthropic-types.js";
import { pruneDeferredList, joinSegments, reminderPath, splitSystemReminders, type TextSegment } from "./read-preamble.js";
import { describeUnreachableItems, findUserListItemsOnce, type UserListItems, type UserListMemo } from "./claude-code/own-list-items.js";
import type { OwnLines } from "./claude-code/own-lines.js";
import { joinTextBlocks, messageText } from "../translate/join-text-blocks.js";
import type { KeptSection } from "./system-prompt/extract-kept-sections.js";
import { compileFilters, FILTER_MAX_UNIT_CHARS, filterUnitSteps, type FilterOutcome, type RuntimeFilter } from "./run-filters.js";
import { runSteps, type Steps } from "./run-steps.js";
import type { TrimPlan, TrimRuleHit } from "./trim-types.js";

/** Claude Code's per-conversation attribution block: it changes per conversation and sits first. */
export const BILLING_HEADER_PREFIX = "x-anthropic-billing-header:";

/** What the translator wraps a role:"system" message in; unwrapping that message saves these. */
const SYSTEM_MESSAGE_WRAPPER_CHARS = "<system-reminder>\n\n</system-reminder>".length;

/** Where a filtered message came from: its index in the request, and each of its blocks' index. */
export interface MessageOrigin {
  message: number;
  blocks: number[];
}

export interface FilteredRequest {
  request: MessagesRequest;
  hits: TrimRuleHit[];
  /** One per message of `request`: later steps name what they change by the ORIGINAL paths. */
  origins: MessageOrigin[];
}

/** The path in the original request of block `block` of filtered message `message`. */
export function originalPath(origins: readonly MessageOrigin[], message: number, block: number): string {
  const origin = origins[message];
  return origin === undefined ? `messages.${message}.content.${block}` : `messages.${origin.message}.content.${origin.blocks[block] ?? block}`;
}

/**
 * Runs mallex.yaml's block filters over the four targets, each unit on its own so the same block
 * always filters to the same bytes whatever comes after it:
 * - `system`: each system block; the billing block is always removed (rule `billing-header`);
 * - `reminder`: each `<system-reminder>` inside a user text block; a reminder no filter matches is
 *   unwrapped (content kept, rule `unknown-reminder`), so new Claude Code features degrade gently;
 * - `system_message`: each mid-conversation role:"system" message (unwrap makes it plain user text);
 * - `tool_result`: each tool result text (a drop leaves a short placeholder: the pair must stay).
 * Text blocks and user messages left empty are removed. The input is never changed.
 */
export function applyBlockFilters(request: MessagesRequest, plan: TrimPlan): FilteredRequest {
  const filters = compileFilters(plan.filters, plan.size);
  const system = runSteps(filterSystemPromptSteps(request.system, filters));
  const conversation = runSteps(filterMessagesSteps(request.messages, filters));
  const out: MessagesRequest = { ...request, messages: conversation.messages };
  if (system.system === undefined) delete out.system;
  else out.system = system.system;
  return { request: out, hits: [...system.hits, ...conversation.hits], origins: conversation.origins };
}

/** The `system` target alone: the same for every turn of a conversation (trimRequest caches it). As Steps: it pauses between filters (see run-steps.ts). */
export function* filterSystemPromptSteps(
  system: MessagesRequest["system"],
  filters: readonly RuntimeFilter[],
): Steps<{ system: MessagesRequest["system"]; hits: TrimRuleHit[] }> {
  const hits: TrimRuleHit[] = [];
  return { system: yield* filterSystem(system, filters, hits), hits };
}

/**
 * The other three targets, over the messages: the per-turn part of applyBlockFilters. `moved`: the
 * facts the keep rules took from the preamble into the template, each removed from the reminder or
 * system message it was found in (`from`) before the filters run; a unit left blank is removed.
 * `unlisted`: the built-ins the size's allowlist leaves out, which Claude Code's tool-search list
 * then does not name (pruneDeferredList). As Steps: it pauses between filters (see run-steps.ts).
 */
export function* filterMessagesSteps(
  messages: readonly AnthropicMessageParam[],
  filters: readonly RuntimeFilter[],
  moved: readonly KeptSection[] = [],
  removedTools: readonly string[] = [],
  unlisted: (name: string) => boolean = () => false,
  userLists?: UserListMemo,
  own?: OwnLines,
): Steps<FilteredMessages> {
  const hits: TrimRuleHit[] = [];
  const out: AnthropicMessageParam[] = [];
  const origins: MessageOrigin[] = [];
  const mentions: ToolMention[] = [];
  const units: Units = {
    filters,
    moved,
    hits,
    removed: toolNamesPattern(removedTools),
    mentions,
    unlisted,
    userText: new Set(filters.filter((filter) => filter.userText).map((filter) => filter.id)),
    ...(userLists === undefined ? {} : { userLists }),
    ...(own === undefined ? {} : { own }),
  };
  for (const [index, message] of messages.entries()) {
    const filtered = yield* filterMessage(message, `messages.${index}`, units);
    if (filtered === undefined) continue;
    out.push(filtered.message);
    origins.push({ message: index, blocks: filtered.blocks });
  }
  return { messages: out, hits, origins, mentions };
}

export interface FilteredMessages {
  messages: AnthropicMessageParam[];
  hits: TrimRuleHit[];
  origins: MessageOrigin[];
  /** Reminders and system messages that, filtered, still name a tool the model is not offered. */
  mentions: ToolMention[];
}

export interface ToolMention {
  target: string;
  tool: string;
}

/** One regex for "names one of these tools": whole words, case as written. */
function toolNamesPattern(names: readonly string[]): RegExp | undefined {
  if (names.length === 0) return undefined;
  const escaped = names.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`(?<![\\w-])(?:${escaped.join("|")})(?![\\w-])`, "g");
}

function* filterSystem(system: MessagesRequest["system"], filters: readonly RuntimeFilter[], hits: TrimRuleHit[]): Steps<MessagesRequest["system"]> {
  if (system === undefined) return undefined;
  const blocks: AnthropicTextBlock[] = typeof system === "string" ? [{ type: "text", text: system }] : system;
  const kept: AnthropicTextBlock[] = [];
  for (const [index, block] of blocks.entries()) {
    const path = typeof system === "string" ? "system" : `system.${index}`;
    const outcome = yield* filterUnitSteps(block.text, "system", filters, path, 0);
    hits.push(...outcome.hits);
    if (outcome.droppedBy !== undefined) {
      hits.push({ rule: outcome.droppedBy, target: path, charsRemoved: outcome.text.length });
    } else if (outcome.text.startsWith(BILLING_HEADER_PREFIX)) {
      hits.push({ rule: "billing-header", target: path, charsRemoved: outcome.text.length });
    } else {
      kept.push(outcome.text === block.text ? block : { ...block, text: outcome.text });
    }
  }
  if (typeof system !== "string") return kept;
  return kept.length === 0 ? undefined : joinTextBlocks(kept.map((block) => block.text));
}

/** What every unit of the conversation is filtered with, and where the hits go. */
interface Units {
  filters: readonly RuntimeFilter[];
  moved: readonly KeptSection[];
  hits: TrimRuleHit[];
  /** The tools the request has that the model is not offered, as one regex (see toolNamesPattern). */
  removed: RegExp | undefined;
  mentions: ToolMention[];
  unlisted: (name: string) => boolean;
  /** The ids of the filters whose kept text is the user's (`user_text`). */
  userText: ReadonlySet<string>;
  /** The server's remembered user lists (see findUserListItemsOnce). */
  userLists?: UserListMemo;
  /** The lines the request's release writes itself: a list item none of them is the user's (default: the built-in ones). */
  own?: OwnLines;
}

/**
 * The filters' outcome for one unit (a reminder's or a system message's text), after the facts moved
 * from it into the template are taken out. `blank`: nothing is left of it.
 */
function* filterUnit(
  text: string,
  target: "reminder" | "system_message",
  path: string,
  wrapperChars: number,
  units: Units,
): Steps<FilterOutcome & { blank: boolean; movedFrom: boolean }> {
  let rest = text;
  let movedFrom = false;
  for (const section of units.moved) {
    if (section.from !== path) continue;
    const at = rest.indexOf(section.matched);
    if (at < 0) continue;
    rest = rest.slice(0, at) + rest.slice(at + section.matched.length);
    movedFrom = true;
    units.hits.push({ rule: section.id, target: path, charsRemoved: section.matched.length });
  }
  if (movedFrom) rest = rest.replace(/\n{3,}/g, "\n\n").trim();
  const listed = findUserListItemsOnce(rest, units.userLists, units.own);
  const filtered = yield* filterUnitSteps(rest, target, units.filters, path, wrapperChars);
  const at = units.hits.length;
  const outcome = filtered.droppedBy === undefined ? nameUnreachable(pruneListed(filtered, path, units), listed, path, units) : filtered;
  // The filters' hits go first; a user_text filter's says how much of the user's text the unit kept
  // (a new object: a remembered outcome's hits are shared between requests).
  units.hits.splice(
    at,
    0,
    ...filtered.hits.map((hit) => (outcome.droppedBy === undefined && units.userText.has(hit.rule) ? { ...hit, userChars: outcome.text.length } : hit)),
  );
  // A unit too long for the filters is not searched for tool names either (V8's regex: 150 ms at 30 MB).
  if (units.removed !== undefined && outcome.droppedBy === undefined && outcome.text.length <= FILTER_MAX_UNIT_CHARS) {
    for (const tool of new Set(outcome.text.match(units.removed))) units.mentions.push({ target: path, tool });
  }
  return { ...outcome, blank: outcome.droppedBy === undefined && outcome.text.trim() === "", movedFrom };
}

/**
 * The user's own agents and skills, named in one paragraph where a filter removed the list they were
 * in (the tool that runs them is not offered): the hit `user-agents-named` (negative: text added).
 */
function nameUnreachable(outcome: FilterOutcome, listed: readonly UserListItems[], path: string, units: Units): FilterOutcome {
  const gone = listed.filter((list) => !outcome.text.includes(list.header));
  if (gone.length === 0) return outcome;
  const named = describeUnreachableItems(gone);
  const text = outcome.text.trim() === "" ? named : `${outcome.text.trimEnd()}\n\n${named}`;
  units.hits.push({ rule: "user-agents-named", target: path, charsRemoved: outcome.text.length - text.length });
  // mallex's own words, not a reminder of Claude Code's: plain text, as an unwrapped reminder is.
  return { ...outcome, text, unwrapped: true };
}

/** The tool-search list a filter kept (ToolSearch is offered) without the built-ins the size leaves out: the hit `deferred-built-ins`. */
function pruneListed(outcome: FilterOutcome, path: string, units: Units): FilterOutcome {
  const text = pruneDeferredList(outcome.text, units.unlisted);
  if (text === outcome.text) return outcome;
  units.hits.push({ rule: "deferred-built-ins", target: path, charsRemoved: outcome.text.length - text.length });
  return { ...outcome, text };
}

interface FilteredMessage {
  message: AnthropicMessageParam;
  /** The original index of each block the message kept. */
  blocks: number[];
}

function* filterMessage(message: AnthropicMessageParam, path: string, units: Units): Steps<FilteredMessage | undefined> {
  switch (message.role) {
    case "system": {
      const filtered = yield* filterSystemMessage(message, path, units);
      return filtered === undefined ? undefined : { message: filtered, blocks: [] };
    }
    case "user":
      return yield* filterUserMessage(message, path, units);
    case "assistant":
      return { message, blocks: typeof message.content === "string" ? [] : message.content.map((_, index) => index) };
    default:
      return message.role satisfies never;
  }
}

function* filterSystemMessage(message: AnthropicMessageParam, path: string, units: Units): Steps<AnthropicMessageParam | undefined> {
  const text = messageText(message.content);
  // What is not text (tool_addition / tool_removal: the tools changed) is no filter's business and always stays.
  const other = typeof message.content === "string" ? [] : message.content.filter((b) => b.type !== "text");
  if (text === "" && other.length > 0) return message;
  const outcome = yield* filterUnit(text, "system_message", path, SYSTEM_MESSAGE_WRAPPER_CHARS, units);
  if (outcome.droppedBy !== undefined || outcome.blank) {
    units.hits.push({ rule: outcome.droppedBy ?? "emptied", target: path, charsRemoved: outcome.text.length + SYSTEM_MESSAGE_WRAPPER_CHARS });
    return other.length > 0 ? { role: "system", content: other } : undefined;
  }
  if (!outcome.matched && !outcome.movedFrom) units.hits.push({ rule: "unknown-system-message", target: path, charsRemoved: 0 });
  if (other.length > 0) return outcome.text === text ? message : { role: "system", content: [{ type: "text", text: outcome.text }, ...other] };
  // Plain user text: the translator only wraps role:"system" messages in <system-reminder>.
  if (outcome.unwrapped) return { role: "user", content: outcome.text };
  // What the filters removed from its top would leave blank lines there.
  return outcome.text === text ? message : { role: "system", content: outcome.text.replace(/^\n+/, "") };
}

function* filterUserMessage(message: AnthropicMessageParam, path: string, units: Units): Steps<FilteredMessage | undefined> {
  if (typeof message.content === "string") {
    const text = yield* filterReminders(message.content, path, units);
    if (text === message.content) return { message, blocks: [] };
    return text.trim() === "" ? undefined : { message: { role: message.role, content: text }, blocks: [] };
  }
  const content: AnthropicContentBlock[] = [];
  const blocks: number[] = [];
  let changed = false;
  for (const [index, block] of message.content.entries()) {
    const blockPath = `${path}.content.${index}`;
    let kept: AnthropicContentBlock | undefined = block;
    if (block.type === "text") {
      const text = yield* filterReminders(block.text, blockPath, units);
      kept = text === block.text ? block : text.trim() === "" ? undefined : { ...block, text };
    } else if (block.type === "tool_result") {
      kept = yield* filterToolResult(block, blockPath, units.filters, units.hits);
    }
    if (kept !== block) changed = true;
    if (kept === undefined) continue;
    content.push(kept);
    blocks.push(index);
  }
  if (content.length === 0) return undefined;
  // Untouched: the same object, so measuring the trimmed conversation skips it (see trimRequest).
  return { message: changed ? { role: message.role, content } : message, blocks };
}

/**
 * Each reminder in a user text: filtered, dropped with the line breaks after it, or unwrapped when
 * unknown. Unwrapped content gets a line break of its own where the text around it had none, so it
 * never runs into the user's words.
 */
function* filterReminders(text: string, path: string, units: Units): Steps<string> {
  const segments = splitSystemReminders(text);
  if (!segments.some((segment) => segment.kind === "reminder")) return text;
  const out: TextSegment[] = [];
  let count = 0;
  for (const [index, segment] of segments.entries()) {
    if (segment.kind === "text") {
      out.push(segment);
      continue;
    }
    count += 1;
    const target = reminderPath(path, count);
    const wrapperChars = segment.open.length + segment.close.length;
    const outcome = yield* filterUnit(segment.inner, "reminder", target, wrapperChars, units);
    if (outcome.droppedBy !== undefined || outcome.blank) {
      const wrapper = outcome.unwrapped ? 0 : wrapperChars;
      units.hits.push({ rule: outcome.droppedBy ?? "emptied", target, charsRemoved: outcome.text.length + wrapper + segment.after.length });
      continue;
    }
    let unwrapped = outcome.unwrapped;
    if (!outcome.matched && !outcome.movedFrom) {
      unwrapped = true;
      units.hits.push({ rule: "unknown-reminder", target, charsRemoved: wrapperChars });
    } else if (!outcome.matched) {
      // What is left of a reminder a fact moved out of is its context: kept, as a known one's content.
      unwrapped = true;
      units.hits.push({ rule: "moved-out", target, charsRemoved: wrapperChars });
    }
    if (!unwrapped) {
      out.push({ ...segment, inner: outcome.text });
      continue;
    }
    const before = joinSegments(out);
    const next = segments[index + 1];
    const lead = before !== "" && !before.endsWith("\n") ? "\n" : "";
    const trail = segment.after === "" && next !== undefined && !joinSegments([next]).startsWith("\n") ? "\n" : segment.after;
    out.push({ kind: "text", text: `${lead}${outcome.text}${trail}` });
  }
  return joinSegments(out);
}

function* filterToolResult(
  block: AnthropicToolResultBlock,
  path: string,
  filters: readonly RuntimeFilter[],
  hits: TrimRuleHit[],
): Steps<AnthropicToolResultBlock> {
  const content = block.content;
  if (content === undefined) return block;
  if (typeof content === "string") {
    const text = yield* filterToolText(content, path, filters, hits);
    return text === content ? block : { ...block, content: text };
  }
  let changed = false;
  const parts: Exclude<AnthropicToolResultBlock["content"], string | undefined> = [];
  for (const [index, part] of content.entries()) {
    if (part.type !== "text") {
      parts.push(part);
      continue;
    }
    const text = yield* filterToolText(part.text, `${path}.content.${index}`, filters, hits);
    if (text === part.text) {
      parts.push(part);
      continue;
    }
    changed = true;
    parts.push({ ...part, text });
  }
  return changed ? { ...block, content: parts } : block;
}

/** The filtered text of a tool result; a dropped one becomes a placeholder, so the model knows output existed. */
function* filterToolText(text: string, path: string, filters: readonly RuntimeFilter[], hits: TrimRuleHit[]): Steps<string> {
  const outcome = yield* filterUnitSteps(text, "tool_result", filters, path, 0);
  hits.push(...outcome.hits);
  if (outcome.droppedBy === undefined) return outcome.text;
  const placeholder = `[tool output removed by mallex rule ${outcome.droppedBy}]`;
  hits.push({ rule: outcome.droppedBy, target: path, charsRemoved: outcome.text.length - placeholder.length });
  return placeholder;
}
