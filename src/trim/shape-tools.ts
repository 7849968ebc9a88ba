import type { CompiledToolPolicy } from "../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicTool, AnthropicToolChoice } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/resolve-tool-call.js";
import { shortenDescription, simplifyToolSchema } from "./simplify-tool-schema.js";
import type { TrimRuleHit } from "./trim-types.js";

export interface ShapedTools {
  /** The allowed tools in request order (never reordered: the tool list is part of the cached prefix). */
  tools: AnthropicTool[];
  /** The original definitions of the allowed custom tools, for checking the model's calls. */
  offered: AnthropicCustomTool[];
  hits: TrimRuleHit[];
}

/**
 * Applies a size's tool policy: the allowlist (absent: every tool; a tool that tool_choice forces is
 * always kept), description stubbing (first paragraph) and max_description_chars, and schema
 * simplification. Deterministic: the same tools always shape to the same bytes.
 */
export function shapeTools(tools: readonly AnthropicTool[] | undefined, policy: CompiledToolPolicy, toolChoice: AnthropicToolChoice | undefined): ShapedTools {
  const shaped: ShapedTools = { tools: [], offered: [], hits: [] };
  const allow = policy.allow === undefined ? undefined : new Set(policy.allow);
  const forced = toolChoice?.type === "tool" ? toolChoice.name : undefined;
  for (const tool of tools ?? []) {
    const target = `tools.${tool.name}`;
    if (allow !== undefined && !allow.has(tool.name) && tool.name !== forced) {
      shaped.hits.push({ rule: "tool-allowlist", target, charsRemoved: JSON.stringify(tool).length });
      continue;
    }
    if (!isCustomTool(tool)) {
      shaped.tools.push(tool);
      continue;
    }
    shaped.offered.push(tool);
    shaped.tools.push(shapeTool(tool, policy, target, shaped.hits));
  }
  return shaped;
}

function shapeTool(tool: AnthropicCustomTool, policy: CompiledToolPolicy, target: string, hits: TrimRuleHit[]): AnthropicCustomTool {
  let out = tool;
  if (tool.description !== undefined && (policy.stubDescriptions || policy.maxDescriptionChars !== undefined)) {
    const description = shortenDescription(tool.description, policy.maxDescriptionChars, policy.stubDescriptions);
    if (description !== tool.description) {
      hits.push({ rule: "tool-description", target, charsRemoved: tool.description.length - description.length });
      out = { ...out, description };
    }
  }
  if (policy.simplifySchemas) {
    const schema = simplifyToolSchema(tool.input_schema);
    const removed = JSON.stringify(tool.input_schema).length - JSON.stringify(schema).length;
    if (removed !== 0) {
      hits.push({ rule: "tool-schema", target, charsRemoved: removed });
      out = { ...out, input_schema: schema };
    }
  }
  return out;
}
