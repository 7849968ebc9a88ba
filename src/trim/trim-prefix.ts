import type { Templates } from "../templates/load-templates.js";
import type { AnthropicCustomTool, AnthropicTool, MessagesRequest } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/resolve-tool-call.js";
import { filterSystemPrompt } from "./apply-block-filters.js";
import { buildSystemPrompt } from "./build-system-prompt.js";
import { buildToolsTemplateContext } from "./build-template-contexts.js";
import { compileFilters } from "./run-filters.js";
import { shapeTools } from "./shape-tools.js";
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
}

/**
 * Steps 1 (for the system blocks), 2 and 3 of trimRequest: the system prompt's block filters, the
 * tool policy, the tools prompt and the system prompt. Depends only on `system`, `tools`,
 * `tool_choice`, the plan and the templates, so the same prefix always trims to the same bytes.
 */
export function trimPrefix(request: Pick<MessagesRequest, "system" | "tools" | "tool_choice">, plan: TrimPlan, templates: Templates): TrimmedPrefix {
  const filtered = filterSystemPrompt(request.system, compileFilters(plan.filters, plan.size));
  const shaped = shapeTools(request.tools, plan.tools, request.tool_choice);
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
  const system = buildSystemPrompt({ original: request.system, filtered: filtered.system, tools: customTools, toolsPrompt }, plan, templates);
  return {
    systemFilterHits: filtered.hits,
    toolHits,
    systemHits: system.hits,
    systemReport: system.report,
    system: system.system,
    tools,
    dropToolChoice: removeTools && toolsPrompt === "",
    offered: shaped.offered,
    offeredNames: customTools.map((tool) => tool.name),
    client: shaped.client,
    chars: { system: JSON.stringify(system.system ?? "").length, tools: JSON.stringify(tools ?? []).length },
  };
}
