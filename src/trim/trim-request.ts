import type { PromptSource } from "../router/describe-request.js";
import { measurePrompt } from "../router/describe-request.js";
import type { Templates } from "../templates/load-templates.js";
import type { AnthropicMessageParam, MessagesRequest } from "../translate/anthropic-types.js";
import { filterMessagesSteps, originalPath, type FilteredMessages, type MessageOrigin } from "./apply-block-filters.js";
import { isBuiltInTool } from "../shared/claude-code-tools.js";
import { collectPreamble, connectingMcpServers, deferredClientTools, loadedTools, EXIT_PLAN_MODE, planModeOn } from "./read-preamble.js";
import { describeUserParts } from "./system-prompt/describe-user-parts.js";
import { describeClaudeCodeTrim, recognizeClaudeCode, type ClaudeCodeClient } from "./claude-code/recognize-claude-code.js";
import { compactionTooLong, fitToBudget, type BudgetOutcome } from "./fit-to-budget.js";
import { fitCompaction, fitContinuation, recognizeCompaction, type CompactionRequest } from "./fit-compaction-and-continuation.js";
import { MAX_GO_ON_REQUESTS, recognizeContinuation } from "../router/continued-request.js";
import { isSmallContext, nextMessageRoom } from "../shared/context/small-context.js";
import { estimateTokens } from "../translate/estimate-tokens.js";
import type { PrefixCache } from "./prefix-cache.js";
import { BUILT_IN_OWN_LINES, ownLinesFor, type LearnedOwnLines, type OwnLines } from "./claude-code/own-lines.js";
import { relativeContextPaths, systemPromptText, workingDirectoryOf } from "./system-prompt/working-directory.js";
import type { ContextUnit } from "./system-prompt/extract-kept-sections.js";
import { compileFilters } from "./run-filters.js";
import { runSteps, type Steps } from "./run-steps.js";
import { trimPrefixSteps, type PrefixContext, type TrimmedPrefix } from "./trim-prefix.js";
import type { TrimPlan, TrimReport, TrimResult } from "./trim-types.js";

const TOOL_SEARCH = "ToolSearch";

export interface TrimOptions {
  /** The server's prefix cache and what the body's text said: trimRequest then works once per prefix. */
  cache?: PrefixCache;
  source?: PromptSource;
  /** The request's user-agent header: Claude Code's names it and its version (see recognizeClaudeCode). */
  userAgent?: string;
  /**
   * The own lines learned from releases the built-in ones do not cover, by version (`mallex run`
   * learns them from the installed CLI): a request from one of them tells its text from the user's by
   * its own. Absent, or no entry for the request's release: the built-in lines.
   */
  learned?: LearnedOwnLines;
}

/**
 * Makes a Claude Code request fit a local model, entirely by the rules of its plan (mallex.yaml):
 * 1. block filters over system blocks, reminders, role:"system" messages and tool results;
 * 2. tools: explicit drops, the allowlist (Claude Code's built-ins only: MCP and other clients' tools
 *    are kept), description stubbing, schema simplification; in xml tool mode the tools
 *    template is rendered into the system prompt and the `tools` field removed;
 * 3. the system prompt: the size's template over the kept sections, or passthrough;
 * 4. in a small context, Claude Code's request to go on with a cut answer keeps only the tail of that
 *    answer (see fitContinuation);
 * 5. the input budget: oldest long tool results shortened first (see fitToBudget); Claude Code's
 *    compaction request, still over, rewritten to fit (see fitCompaction).
 *
 * Pure and deterministic, and turn-by-turn append-only: every step works on one block at a time
 * or on what is constant within a conversation (system prompt, tools, profile), so the same
 * conversation prefix trims to the same bytes whatever comes after it, and the backend's prefix
 * cache keeps hitting. Nothing per-turn (counts, times, ids) is ever written into the prompt.
 *
 * A request Claude Code sent (recognizeClaudeCode) is trimmed by its structure: every tool that is
 * not an MCP server's is a built-in, and the report says what no rule placed (describeClaudeCodeTrim).
 * One of its agents' requests (it carries built-ins; a title or summary request does not) always
 * gets the size's template as its system prompt, and keep rules also look in the reminders and
 * system messages that open the conversation (and move what they find there into the template).
 *
 * With a cache and source, steps 1–3 for the system prompt and tools come from the server's PrefixCache
 * (trimmed once per distinct prefix, the same bytes as trimming again), and sizes are read off the
 * body's text and the cached parts rather than by serialising the request.
 *
 * @returns `ok: false` with a TrimError (HTTP 400, "prompt is too long: …") when even that does
 *   not fit the budget; the trimmed request and report are still there to show.
 */
export function trimRequest(request: MessagesRequest, plan: TrimPlan, templates: Templates, options: TrimOptions = {}): TrimResult {
  return runSteps(trimRequestSteps(request, plan, templates, options));
}

/**
 * trimRequest as Steps: it pauses before each regex a block filter runs (see run-steps.ts), so the
 * proxy can give the event loop a turn while a request's filters work through megabytes of text.
 */
export function* trimRequestSteps(request: MessagesRequest, plan: TrimPlan, templates: Templates, options: TrimOptions = {}): Steps<TrimResult> {
  const cached = options.cache !== undefined && options.source !== undefined ? { cache: options.cache, source: options.source } : undefined;
  const before = measurePrompt(request, cached?.source);
  const { client, deferred, own, context } = readClient(request, options);
  const { agent, preamble } = context;
  const make = () =>
    trimPrefixSteps(
      request,
      plan,
      templates,
      context,
      cached ? { shape: (shape) => cached.cache.tools(plan, cached.source, request, context, shape), linePrints: cached.cache.linePrints } : {},
    );
  const prefix = yield* cached ? cached.cache.prefix(plan, cached.source, request, context, make) : make();
  const offered = new Set(prefix.offeredNames);
  const removed = client === undefined ? [] : (request.tools ?? []).map((tool) => tool.name).filter((name) => !offered.has(name));
  // Untrimmed (a profile's trim: false), the conversation goes as it came: no reminder is even unwrapped.
  const conversation =
    plan.profile.trim === false
      ? untouched(request.messages)
      : yield* filterMessagesSteps(
          request.messages,
          compileFilters(plan.filters, plan.size, offered, undefined, cached?.cache.filterOutcomes),
          prefix.moved,
          removed,
          (name) => isBuiltInTool(name, true) && plan.tools.allow !== undefined && !plan.tools.allow.includes(name),
          cached?.cache.userLists,
          own,
        );

  const relative =
    agent && plan.profile.trim !== false && plan.trimming.relativePaths === true ? relativeTo(request, preamble, conversation.messages) : undefined;
  const continued =
    client === undefined || plan.profile.trim === false ? undefined : fitContinuationToContext(relative?.messages ?? conversation.messages, plan);
  const messages = continued?.messages ?? relative?.messages ?? conversation.messages;
  const out = withPrefix(request, prefix, messages);

  const messagesChars =
    cached && continued === undefined
      ? measureFilteredMessages(request.messages, messages, conversation.origins, cached.source.chars.messages)
      : JSON.stringify(messages).length;
  const size = prefix.chars.system + messagesChars + prefix.chars.tools;
  const fitted = fitToBudget(out, plan, (message, block) => originalPath(conversation.origins, message, block), size);
  // Claude Code's compaction request carries the whole conversation: cut to fit rather than refused, since
  // a refused compaction leaves the session nothing to go on with. What its next request carries again
  // besides the summary is the agent's system prompt and tools (see profileForAnswer).
  const compaction = client === undefined ? undefined : recognizeCompaction(fitted.request);
  const budget = compaction === undefined || fitted.error === undefined ? fitted : fitCompactionToBudget(fitted, compaction, plan);
  const report: TrimReport = {
    rules: [
      ...prefix.systemFilterHits,
      ...conversation.hits,
      ...(relative?.hits ?? []),
      ...(continued?.hits ?? []),
      ...prefix.toolHits,
      ...prefix.systemHits,
      ...budget.hits,
    ],
    before,
    after: budget.size,
    system: prefix.systemReport,
    tools: { mode: plan.profile.toolMode, offered: [...prefix.offeredNames], client: [...prefix.client] },
    prefixTokens: estimateTokens(prefix.chars.system + prefix.chars.tools),
    user: [],
  };
  report.user = describeUserParts({
    ...(report.system.mode === "template" && report.system.user !== undefined ? { system: report.system.user } : {}),
    rules: report.rules,
    client: report.tools.client,
    deferred,
    toolSearch: offered.has(TOOL_SEARCH),
    messages: budget.request.messages,
    own,
  });
  if (plan.profile.inputBudget !== undefined) report.budgetTokens = plan.profile.inputBudget;
  if (continued !== undefined) report.continuation = { carriedTokens: estimateTokens(size + continued.charsRemoved) };
  if (compaction !== undefined)
    report.compaction = {
      carriedTokens: estimateTokens(prefix.chars.system + prefix.chars.tools + carriedMessageChars(fitted.request.messages)),
      rewritten: budget !== fitted,
      ...(asksToGoOn(request.messages) >= MAX_GO_ON_REQUESTS ? { lastPiece: true as const } : {}),
    };
  if (client !== undefined)
    report.claudeCode = {
      ...describeClaudeCodeTrim(client, report.rules, prefix.newBuiltIns, conversation.mentions, report.system),
      ...(own === BUILT_IN_OWN_LINES ? {} : { ownLines: "learned" as const }),
    };
  const offeredTools = [...prefix.offered];
  return budget.error === undefined
    ? { ok: true, request: budget.request, report, offeredTools }
    : { ok: false, error: budget.error, request: budget.request, report, offeredTools };
}

/** Who sent the request, and what trimming its system prompt and tools depends on besides the plan. */
interface RequestClient {
  readonly client: ClaudeCodeClient | undefined;
  /** The user's MCP tools that Claude Code defers behind its tool search. */
  readonly deferred: readonly string[];
  readonly own: OwnLines;
  readonly context: PrefixContext;
}

function readClient(request: MessagesRequest, options: TrimOptions): RequestClient {
  const client = recognizeClaudeCode(request, options.userAgent);
  // Claude Code's agents carry its built-in tools; its side requests (a title, a summary) carry none
  // and keep their own instructions.
  const agent = client !== undefined && (request.tools ?? []).some((tool) => isBuiltInTool(tool.name, true));
  const preamble = agent ? collectPreamble(request.messages) : [];
  // The user's MCP tools behind Claude Code's tool search are reachable only through ToolSearch: it is
  // offered with them, and with the MCP servers still connecting (whose tools nothing names yet).
  const carries = (name: string) => (request.tools ?? []).some((tool) => tool.name === name);
  const alsoOffer = new Set<string>();
  const deferred = deferredClientTools(preamble);
  if ((deferred.length > 0 || connectingMcpServers(preamble).length > 0) && carries(TOOL_SEARCH)) alsoOffer.add(TOOL_SEARCH);
  // Plan mode ends only by the model's call of ExitPlanMode: while it is on, the tool is offered where Claude Code sends it.
  if (agent && carries(EXIT_PLAN_MODE) && planModeOn(request.messages)) alsoOffer.add(EXIT_PLAN_MODE);
  const own = ownLinesFor(client?.version, options.learned);
  const context: PrefixContext = {
    claudeCode: client !== undefined,
    agent,
    preamble,
    loaded: loadedTools(request.messages),
    ...(alsoOffer.size > 0 ? { alsoOffer } : {}),
    own,
  };
  return { client, deferred, own, context };
}

/** The request with `messages`, and the trimmed prefix's system prompt and tools in place of its own. */
function withPrefix(request: MessagesRequest, prefix: TrimmedPrefix, messages: AnthropicMessageParam[]): MessagesRequest {
  const out: MessagesRequest = { ...request, messages };
  if (prefix.system === undefined) delete out.system;
  else out.system = prefix.system;
  if (prefix.tools === undefined) {
    delete out.tools;
    if (prefix.dropToolChoice) delete out.tool_choice;
  } else {
    out.tools = [...prefix.tools];
  }
  return out;
}

/**
 * Claude Code's request to go on with a cut answer, in a small context, with only the tail of that
 * answer (fitContinuation, continuationTailChars); a compaction's request to go on with its cut summary
 * too, so that one whose first request went as Claude Code's own can go on as its own, its prompt
 * the first's and read from the server's cache (rewritten for being over the budget with every piece,
 * it read 5 tokens from the cache: SmolLM2, a 34-s prefill). Over the budget even so,
 * fitCompaction rewrites it, to the same tail. Undefined for any other request, and in a context that
 * is not small.
 */
function fitContinuationToContext(
  messages: readonly AnthropicMessageParam[],
  plan: TrimPlan,
): { messages: AnthropicMessageParam[]; hits: TrimReport["rules"]; charsRemoved: number } | undefined {
  const context = plan.profile.contextWindow;
  if (!isSmallContext(context)) return undefined;
  const compaction = recognizeCompaction({ messages });
  const continuation =
    compaction === undefined
      ? recognizeContinuation(messages)
      : compaction.instructionMessage < messages.length - 1
        ? { answerStart: compaction.instructionMessage + 1 }
        : undefined;
  if (continuation === undefined) return undefined;
  const fitted = fitContinuation(messages, continuation, continuationTailChars(context));
  if (fitted === undefined) return undefined;
  return {
    messages: fitted.messages,
    hits: fitted.charsRemoved > 0 ? [{ rule: "continuation", target: `messages.${continuation.answerStart}`, charsRemoved: fitted.charsRemoved }] : [],
    charsRemoved: fitted.charsRemoved,
  };
}

/** The tail of a cut answer a small context's request to go on keeps: its room for the next message, in characters as estimateTokens counts them. */
function continuationTailChars(context: number): number {
  return Math.floor(nextMessageRoom(context) * 3.5);
}

/**
 * A compaction over the budget, rewritten by fitCompaction; still over (its instructions alone do not
 * fit), the refusal says /compact cannot work in this context, and what would.
 */
function fitCompactionToBudget(over: BudgetOutcome, compaction: CompactionRequest, plan: TrimPlan): BudgetOutcome {
  const budget = plan.profile.inputBudget!;
  const context = plan.profile.contextWindow;
  const rewritten = fitCompaction(over.request, compaction, budget, isSmallContext(context) ? continuationTailChars(context) : undefined);
  if (rewritten === undefined) return { ...over, error: compactionTooLong(over, plan) };
  return {
    request: rewritten.request,
    size: rewritten.size,
    hits: [...over.hits, { rule: "compaction", target: "messages", charsRemoved: over.size.chars - rewritten.size.chars }],
  };
}

/**
 * Claude Code's continuation after a compaction wraps the summary in ~900 characters of its own
 * ("This session is being continued from a previous conversation…", 2.1.330).
 */
const SUMMARY_WRAPPER_CHARS = 1000;

/**
 * Characters of a compaction's conversation that the request after it carries again, besides the
 * summary: the opening user turn (its reminders: CLAUDE.md, git status, re-sent as they were), the
 * last answer (2.1.330 keeps "the most recent messages from before compaction, kept verbatim"), and
 * the wrapper around the summary.
 */
function carriedMessageChars(messages: readonly AnthropicMessageParam[]): number {
  const first = messages[0];
  const lastAnswer = messages.findLast((message) => message.role === "assistant");
  return (first === undefined ? 0 : JSON.stringify(first).length) + (lastAnswer === undefined ? 0 : JSON.stringify(lastAnswer).length) + SUMMARY_WRAPPER_CHARS;
}

/** How many times a compaction request asks to go on with its cut summary (the pairs after its instructions, as Claude Code sent them). */
function asksToGoOn(messages: readonly AnthropicMessageParam[]): number {
  const compaction = recognizeCompaction({ messages });
  return compaction === undefined ? 0 : Math.floor((messages.length - 1 - compaction.instructionMessage) / 2);
}

/** The conversation with its CLAUDE.md labels relative to Claude Code's working directory, when its environment names one. */
function relativeTo(
  request: MessagesRequest,
  preamble: readonly ContextUnit[],
  messages: readonly AnthropicMessageParam[],
): ReturnType<typeof relativeContextPaths> | undefined {
  const system = systemPromptText(request.system);
  const workingDirectory = workingDirectoryOf(system, preamble);
  return workingDirectory === undefined ? undefined : relativeContextPaths(messages, workingDirectory);
}

/** The messages as they are, each its own origin. */
function untouched(messages: readonly AnthropicMessageParam[]): FilteredMessages {
  return {
    messages: [...messages],
    hits: [],
    origins: messages.map((message, index) => ({
      message: index,
      blocks: typeof message.content === "string" ? [] : message.content.map((_, block) => block),
    })),
    mentions: [],
  };
}

/**
 * JSON.stringify(filtered).length, from the original messages' measure: only the messages the
 * filters changed or removed are serialised (a long conversation's others are not touched), and of
 * a changed message only the blocks that changed (its 30 MB paste next to a filtered reminder is not
 * serialised twice per size tried).
 */
function measureFilteredMessages(
  original: readonly AnthropicMessageParam[],
  filtered: readonly AnthropicMessageParam[],
  origins: readonly MessageOrigin[],
  originalChars: number,
): number {
  if (filtered.length === 0) return 2;
  let chars = originalChars - (original.length - filtered.length); // the commas between them
  let next = 0;
  original.forEach((message, index) => {
    const origin = origins[next];
    const kept = origin?.message === index ? filtered[next++] : undefined;
    if (kept === message) return;
    if (kept !== undefined && origin !== undefined) chars += changedChars(message, kept, origin.blocks);
    else chars -= JSON.stringify(message).length;
  });
  return chars;
}

/**
 * JSON.stringify(kept).length − JSON.stringify(message).length. When both hold only role and content
 * and their content is a list, that is the kept blocks' changes less the removed blocks (each with
 * its comma); otherwise the two are serialised.
 */
function changedChars(message: AnthropicMessageParam, kept: AnthropicMessageParam, blocks: readonly number[]): number {
  const plain = (m: AnthropicMessageParam) => Object.keys(m).length === 2 && "role" in m && "content" in m && Array.isArray(m.content);
  if (!plain(message) || !plain(kept) || message.role !== kept.role || blocks.length !== kept.content.length)
    return JSON.stringify(kept).length - JSON.stringify(message).length;
  const before = message.content as readonly unknown[];
  const after = kept.content as readonly unknown[];
  let delta = 0;
  const stays = new Set(blocks);
  blocks.forEach((from, at) => {
    if (after[at] !== before[from]) delta += JSON.stringify(after[at]).length - JSON.stringify(before[from]).length;
  });
  before.forEach((block, at) => {
    if (!stays.has(at)) delta -= JSON.stringify(block).length + 1;
  });
  return delta;
}
