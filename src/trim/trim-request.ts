import type { Templates } from "../templates/load-templates.js";
import type { AnthropicCustomTool, MessagesRequest } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/resolve-tool-call.js";
import { applyBlockFilters, originalPath } from "./apply-block-filters.js";
import { buildSystemPrompt } from "./build-system-prompt.js";
import { buildToolsTemplateContext } from "./build-template-contexts.js";
import { fitToBudget } from "./fit-to-budget.js";
import { measurePrompt } from "../router/describe-request.js";
import { shapeTools } from "./shape-tools.js";
import type { TrimPlan, TrimReport, TrimResult, TrimRuleHit } from "./trim-types.js";

/**
 * Makes a Claude Code request fit a local model, entirely by the rules of its plan (mallex.yaml):
 * 1. block filters over system blocks, reminders, role:"system" messages and tool results;
 * 2. tools: explicit drops, the allowlist (Claude Code's built-ins only: MCP and other clients' tools
 *    are kept), description stubbing, schema simplification; in xml tool mode the tools
 *    template is rendered into the system prompt and the `tools` field removed;
 * 3. the system prompt: the size's template over the kept sections, or passthrough;
 * 4. the input budget: oldest long tool results shortened first (see fitToBudget).
 *
 * Pure and deterministic, and turn-by-turn append-only: every step works on one block at a time
 * or on what is constant within a conversation (system prompt, tools, profile), so the same
 * conversation prefix trims to the same bytes whatever comes after it, and the backend's prefix
 * cache keeps hitting. Nothing per-turn (counts, times, ids) is ever written into the prompt.
 *
 * @returns `ok: false` with a TrimError (HTTP 400, "prompt is too long: …") when even that does
 *   not fit the budget; the trimmed request and report are still there to show.
 */
export function trimRequest(request: MessagesRequest, plan: TrimPlan, templates: Templates): TrimResult {
  const before = measurePrompt(request);
  const filtered = applyBlockFilters(request, plan);
  const hits: TrimRuleHit[] = [...filtered.hits];

  const shaped = shapeTools(filtered.request.tools, plan.tools, filtered.request.tool_choice);
  hits.push(...shaped.hits);
  const customTools = shaped.tools.filter(isCustomTool);
  const out: MessagesRequest = { ...filtered.request };
  let toolsPrompt = "";
  const xmlTemplate = plan.profile.toolMode === "xml" ? plan.tools.template : undefined;
  const xml = xmlTemplate !== undefined;
  if (xml && customTools.length > 0 && request.tool_choice?.type !== "none") {
    toolsPrompt = templates.render(xmlTemplate, buildToolsTemplateContext(customTools, plan.profile.toolFormat ?? "mallex-xml"));
    hits.push({ rule: "tools-prompt", target: "tools", charsRemoved: JSON.stringify(shaped.tools).length - toolsPrompt.length });
  }
  if (xml || shaped.tools.length === 0) {
    delete out.tools;
    // A forced call stays when the tools live in the prompt: the translation asks for it in words.
    if (toolsPrompt === "") delete out.tool_choice;
  } else if (request.tools !== undefined) {
    out.tools = shaped.tools;
  }

  const system = buildSystemPrompt({ original: request.system, filtered: filtered.request.system, tools: customTools, toolsPrompt }, plan, templates);
  hits.push(...system.hits);
  if (system.system === undefined) delete out.system;
  else out.system = system.system;

  const budget = fitToBudget(out, plan, (message, block) => originalPath(filtered.origins, message, block));
  hits.push(...budget.hits);
  const report: TrimReport = {
    rules: hits,
    before,
    after: budget.size,
    system: system.report,
    tools: { mode: plan.profile.toolMode, offered: customTools.map((tool) => tool.name), client: shaped.client },
  };
  if (plan.profile.inputBudget !== undefined) report.budgetTokens = plan.profile.inputBudget;
  const offeredTools: AnthropicCustomTool[] = shaped.offered;
  return budget.error === undefined
    ? { ok: true, request: budget.request, report, offeredTools }
    : { ok: false, error: budget.error, request: budget.request, report, offeredTools };
}
