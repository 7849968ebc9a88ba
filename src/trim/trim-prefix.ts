import type { Templates } from "../templates/load-templates.js";
import type { AnthropicCustomTool, AnthropicTool, MessagesRequest } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/tool-calls/resolve-tool-call.js";
import { filterSystemPromptSteps } from "./apply-block-filters.js";
import { buildSystemPromptSteps } from "./system-prompt/build-system-prompt.js";
import { buildToolsTemplateContext } from "./system-prompt/build-template-contexts.js";
import type { ContextUnit, KeptSection } from "./system-prompt/extract-kept-sections.js";
import { describeUnreachableItems, findUserListItemsOnce } from "./claude-code/own-list-items.js";
import type { OwnLines } from "./claude-code/own-lines.js";
import type { LinePrintMemo } from "./claude-code/line-print.js";
import { compileFilters } from "./run-filters.js";
import { runSteps, type Steps } from "./run-steps.js";
import { shapeTools, type ShapedTools } from "./shape-tools.js";
import type { TrimPlan, TrimReport, TrimRuleHit } from "./trim-types.js";

/**
 * What trimming makes of the part of a request that stays the same on every turn of a
 * conversation — its system prompt and tools (and tool_choice, which decides what the tools become)
 * — for one plan. Shared by every request with that prefix (see PrefixCache): read-only.
 */
export interface TrimmedPrefix {
  /** The block filters' hits on the system prompt: the first rules of the report. */
  readonly systemFilterHits: readonly TrimRuleHit[];
  /** The tool policy's hits, then the tools prompt's (xml tool mode). */
  readonly toolHits: readonly TrimRuleHit[];
  /** The system prompt's hits (keep rules cut by max_chars, the template). */
  readonly systemHits: readonly TrimRuleHit[];
  readonly systemReport: TrimReport["system"];
  /** The trimmed system prompt; undefined: the request has none. */
  readonly system: MessagesRequest["system"];
  /** The tools the request carries on; undefined: `tools` is removed (none left, or they are in the prompt). */
  readonly tools: readonly AnthropicTool[] | undefined;
  /** Whether `tool_choice` is removed with the tools (it stays when the tools prompt asks for the call in words). */
  readonly dropToolChoice: boolean;
  /** The original definitions of the custom tools the model is offered, and the names of the client's own among them. */
  readonly offered: readonly AnthropicCustomTool[];
  readonly offeredNames: readonly string[];
  readonly client: readonly string[];
  /** JSON.stringify lengths of `system` (`""` when absent) and `tools` (`[]`): their share of the trimmed prompt. */
  readonly chars: { readonly system: number; readonly tools: number };
  /** The facts keep rules found in the preamble: filtering the messages moves them out of it. */
  readonly moved: readonly KeptSection[];
  /** Built-ins of a Claude Code request that mallex's list of known ones lacks. */
  readonly newBuiltIns: readonly string[];
}

/** What the prefix depends on besides system, tools and tool_choice. */
export interface PrefixContext {
  /** Claude Code sent the request (see recognizeClaudeCode). */
  claudeCode: boolean;
  /** One of Claude Code's agents sent it (it carries built-in tools): the template replaces its system prompt. */
  agent: boolean;
  /** The conversation's opening reminders and system messages (collectPreamble) of an agent's request; else []. */
  preamble: readonly ContextUnit[];
  /** Deferred tools a `tool_reference` in the conversation has loaded. */
  loaded: ReadonlySet<string>;
  /** Built-ins offered whatever the allowlist says (ToolSearch for deferred MCP tools, ExitPlanMode in plan mode: see trimRequest). */
  alsoOffer?: ReadonlySet<string>;
  /**
   * The lines the request's release writes itself (ownLinesFor: the built-in ones, or those learned
   * from that release): what is none of them is the user's text. Absent: the built-in ones.
   */
  own?: OwnLines;
}

const NO_CONTEXT: PrefixContext = { claudeCode: false, agent: false, preamble: [], loaded: new Set() };

/**
 * Steps 1 (for the system blocks), 2 and 3 of trimRequest: the tool policy, the system prompt's
 * block filters, the tools prompt and the system prompt. Depends only on `system`, `tools`,
 * `tool_choice`, the context (the preamble does not change within a conversation; loaded tools only
 * grow), the plan and the templates, so the same prefix always trims to the same bytes.
 */
export function trimPrefix(
  request: Pick<MessagesRequest, "system" | "tools" | "tool_choice">,
  plan: TrimPlan,
  templates: Templates,
  context: PrefixContext = NO_CONTEXT,
): TrimmedPrefix {
  return runSteps(trimPrefixSteps(request, plan, templates, context));
}

/** What a server remembers across requests for the prefixes it trims (the prefix cache's); without it, each trim works alone. */
export interface PrefixMemos {
  /** The shaped tools (see PrefixCache.tools); by default they are shaped here. */
  shape?: (make: () => ShapedTools) => ShapedTools;
  /** Prints of system-prompt lines seen before (see PrefixCache.linePrints). */
  linePrints?: LinePrintMemo;
}

/** trimPrefix as Steps: it pauses between the system prompt's filters (see run-steps.ts). */
export function* trimPrefixSteps(
  request: Pick<MessagesRequest, "system" | "tools" | "tool_choice">,
  plan: TrimPlan,
  templates: Templates,
  context: PrefixContext = NO_CONTEXT,
  memos: PrefixMemos = {},
): Steps<TrimmedPrefix> {
  const shape = memos.shape ?? ((make) => make());
  const shaped = shape(() => shapeTools(request.tools, plan.tools, request.tool_choice, context));
  const offeredNames = shaped.offered.map((tool) => tool.name);
  const filtered = yield* filterSystemPromptSteps(request.system, compileFilters(plan.filters, plan.size, new Set(offeredNames)));
  const toolHits: TrimRuleHit[] = [...shaped.hits];
  const customTools = shaped.tools.filter(isCustomTool);
  let toolsPrompt = "";
  const xmlTemplate = plan.profile.toolMode === "xml" ? plan.tools.template : undefined;
  const xml = xmlTemplate !== undefined;
  if (xml && customTools.length > 0 && request.tool_choice?.type !== "none") {
    toolsPrompt = templates.render(xmlTemplate, buildToolsTemplateContext(customTools, plan.profile.toolFormat ?? "mallex-xml"));
    toolHits.push({ rule: "tools-prompt", target: "tools", charsRemoved: JSON.stringify(shaped.tools).length - toolsPrompt.length });
  }
  const removeTools = xml || shaped.tools.length === 0;
  // A forced call stays when the tools live in the prompt: the translation asks for it in words.
  const tools = removeTools ? undefined : shaped.tools;
  const named = context.agent ? namedInRemovedTools(request.tools, new Set(offeredNames), context.own) : undefined;
  const system = yield* buildSystemPromptSteps(
    {
      original: request.system,
      filtered: filtered.system,
      tools: customTools,
      toolsPrompt,
      claudeCode: context.agent,
      preamble: context.preamble,
      ...(named ? { named: named.text } : {}),
      ...(context.own ? { own: context.own } : {}),
      ...(memos.linePrints ? { linePrints: memos.linePrints } : {}),
    },
    plan,
    templates,
  );
  const namedHits: TrimRuleHit[] =
    named !== undefined && system.report.mode === "template" ? [{ rule: "user-agents-named", target: named.target, charsRemoved: -named.text.length }] : [];
  return {
    systemFilterHits: filtered.hits,
    toolHits,
    systemHits: [...system.hits, ...namedHits],
    systemReport: system.report,
    system: system.system,
    tools,
    dropToolChoice: removeTools && toolsPrompt === "",
    offered: shaped.offered,
    offeredNames,
    client: shaped.client,
    chars: { system: JSON.stringify(system.system ?? "").length, tools: JSON.stringify(tools ?? []).length },
    moved: system.moved,
    newBuiltIns: shaped.newBuiltIns,
  };
}

/**
 * The user's own agents listed in the description of a tool the model is not offered (2.1.100 lists
 * them in the Agent tool's, not in a reminder): one paragraph naming them, for the system prompt, so
 * they do not go silently with the tool. Undefined when no removed tool lists any.
 */
function namedInRemovedTools(
  tools: readonly AnthropicTool[] | undefined,
  offered: ReadonlySet<string>,
  own: OwnLines | undefined,
): { text: string; target: string } | undefined {
  const removed = (tools ?? []).filter((tool): tool is AnthropicCustomTool => isCustomTool(tool) && !offered.has(tool.name) && tool.description !== undefined);
  for (const tool of removed) {
    const lists = findUserListItemsOnce(tool.description!, undefined, own).filter((list) => list.tool === tool.name);
    if (lists.length > 0) return { text: describeUnreachableItems(lists), target: `tools.${tool.name}` };
  }
  return undefined;
}
