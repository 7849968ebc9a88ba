import type { CompiledToolPolicy } from "../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicTool, AnthropicToolChoice } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/resolve-tool-call.js";
import { isClaudeCodeTool } from "./claude-code-tools.js";
import { shortenDescription, simplifyToolSchema } from "./simplify-tool-schema.js";
import type { TrimRuleHit } from "./trim-types.js";

export interface ShapedTools {
  /** The kept tools in request order (never reordered: the tool list is part of the cached prefix). */
  tools: AnthropicTool[];
  /** The original definitions of the kept custom tools, for checking the model's calls. */
  offered: AnthropicCustomTool[];
  /** The names of the kept custom tools that are not Claude Code's built-ins (MCP servers', other clients' own). */
  client: string[];
  hits: TrimRuleHit[];
}

/**
 * Applies a size's tool policy, tool by tool:
 * 1. a tool that tool_choice forces is always kept;
 * 2. a `drop` glob removes any tool (`tool-drop`);
 * 3. the allowlist removes Claude Code's built-in tools it does not name (`tool-allowlist`); every
 *    other tool is the client's (an MCP server's, another client's own) and is kept;
 * 4. descriptions: built-ins stubbed to their first paragraph by `stubDescriptions`, client tools only
 *    by `stubClientDescriptions`; every description cut to `maxDescriptionChars`; schemas simplified.
 * Deterministic: the same tools always shape to the same bytes.
 */
export function shapeTools(tools: readonly AnthropicTool[] | undefined, policy: CompiledToolPolicy, toolChoice: AnthropicToolChoice | undefined): ShapedTools {
  const shaped: ShapedTools = { tools: [], offered: [], client: [], hits: [] };
  const allow = policy.allow === undefined ? undefined : new Set(policy.allow);
  const drop = policy.drop.map(({ pattern }) => new RegExp(pattern.source, pattern.flags));
  const forced = toolChoice?.type === "tool" ? toolChoice.name : undefined;
  for (const tool of tools ?? []) {
    const target = `tools.${tool.name}`;
    const builtIn = isClaudeCodeTool(tool.name);
    const removedBy = tool.name === forced ? undefined : removingRule(tool.name, builtIn, drop, allow);
    if (removedBy !== undefined) {
      shaped.hits.push({ rule: removedBy, target, charsRemoved: JSON.stringify(tool).length });
      continue;
    }
    if (!isCustomTool(tool)) {
      shaped.tools.push(tool);
      continue;
    }
    shaped.offered.push(tool);
    if (!builtIn) shaped.client.push(tool.name);
    shaped.tools.push(shapeTool(tool, policy, builtIn ? policy.stubDescriptions : policy.stubClientDescriptions, target, shaped.hits));
  }
  return shaped;
}

/** The rule that removes a tool: an explicit `drop` glob, or the allowlist for a built-in it leaves out; undefined: kept. */
function removingRule(name: string, builtIn: boolean, drop: readonly RegExp[], allow: ReadonlySet<string> | undefined): "tool-drop" | "tool-allowlist" | undefined {
  if (drop.some((glob) => glob.test(name))) return "tool-drop";
  if (builtIn && allow !== undefined && !allow.has(name)) return "tool-allowlist";
  return undefined;
}

function shapeTool(tool: AnthropicCustomTool, policy: CompiledToolPolicy, stub: boolean, target: string, hits: TrimRuleHit[]): AnthropicCustomTool {
  let out = tool;
  if (tool.description !== undefined && (stub || policy.maxDescriptionChars !== undefined)) {
    const description = shortenDescription(tool.description, policy.maxDescriptionChars, stub);
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
