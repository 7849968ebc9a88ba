import type { LinearRegex } from "../linear-regex/compile-linear-regex.js";
import { linearRegexOf } from "../compile/linear-regex-of.js";
import type { CompiledToolPolicy } from "../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicTool, AnthropicToolChoice } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/tool-calls/resolve-tool-call.js";
import { isBuiltInTool, isClaudeCodeTool } from "../shared/claude-code-tools.js";
import { dropLinesNaming } from "./drop-lines-naming.js";
import { withUserItems } from "./claude-code/own-list-items.js";
import type { OwnLines } from "./claude-code/own-lines.js";
import { dropOptionalParams, shortenDescription, simplifyToolSchema } from "./simplify-tool-schema.js";
import type { TrimRuleHit } from "./trim-types.js";

export interface ShapedTools {
  /** The kept tools in request order (never reordered: the tool list is part of the cached prefix). */
  tools: AnthropicTool[];
  /** The original definitions of the kept custom tools, for checking the model's calls. */
  offered: AnthropicCustomTool[];
  /** The names of the kept custom tools that are not Claude Code's built-ins (MCP servers', other clients' own). */
  client: string[];
  /** Built-ins of a Claude Code request that mallex's list of known ones (claude-code-tools.ts) lacks. */
  newBuiltIns: string[];
  hits: TrimRuleHit[];
}

/** What shapeTools knows of the request beyond its tools. */
export interface ToolContext {
  /** Claude Code sent it (see recognizeClaudeCode): every tool that is not an MCP server's is a built-in. */
  claudeCode: boolean;
  /** Deferred tools (`defer_loading: true`) a `tool_reference` in the conversation has loaded. */
  loaded: ReadonlySet<string>;
  /** Built-ins offered whatever the allowlist says: ToolSearch, when the user's MCP tools are only reachable through it. */
  alsoOffer?: ReadonlySet<string>;
  /** The lines the request's release writes itself (ownLinesFor): a built-in's list item that is none of them is the user's. Default: the built-in ones. */
  own?: OwnLines;
}

const NO_CONTEXT: ToolContext = { claudeCode: false, loaded: new Set() };

/**
 * Applies a size's tool policy, tool by tool:
 * 1. a tool that tool_choice forces is always kept, and so are the built-ins of `context.alsoOffer`;
 * 2. a deferred tool (`defer_loading: true`) is not offered until a `tool_reference` loaded it
 *    (`tool-deferred`), as the Anthropic API does; once loaded it is an ordinary tool;
 * 3. a `drop` glob removes any tool (`tool-drop`);
 * 4. the allowlist removes Claude Code's built-in tools it does not name (`tool-allowlist`); every
 *    other tool is the client's (an MCP server's, another client's own) and is kept. In a request
 *    Claude Code sent, a built-in is any tool that is not an MCP server's (`mcp__*`), so a built-in a
 *    new release adds is never taken for the client's; elsewhere the names of claude-code-tools.ts;
 * 5. descriptions: a built-in's lines that name a tool removed in 2–4 go (dropLinesNaming); built-ins
 *    stubbed to their first paragraph (or sentence) by `stubDescriptions`, client tools only by
 *    `stubClientDescriptions`; every description cut to `maxDescriptionChars`, but for the user's own
 *    agents or skills a built-in's lists (withUserItems); schemas simplified.
 * Deterministic: the same tools always shape to the same bytes.
 */
export function shapeTools(
  tools: readonly AnthropicTool[] | undefined,
  policy: CompiledToolPolicy,
  toolChoice: AnthropicToolChoice | undefined,
  context: ToolContext = NO_CONTEXT,
): ShapedTools {
  const shaped: ShapedTools = { tools: [], offered: [], client: [], newBuiltIns: [], hits: [] };
  const allow = policy.allow === undefined ? undefined : new Set(policy.allow);
  const drop = policy.drop.map(({ pattern }) => linearRegexOf(pattern));
  const forced = toolChoice?.type === "tool" ? toolChoice.name : undefined;
  const decided = (tools ?? []).map((tool) => {
    const builtIn = isBuiltInTool(tool.name, context.claudeCode);
    const deferred = isCustomTool(tool) && tool.defer_loading === true && !context.loaded.has(tool.name);
    const kept = tool.name === forced || context.alsoOffer?.has(tool.name) === true;
    return { tool, builtIn, removedBy: kept ? undefined : deferred ? "tool-deferred" : removingRule(tool.name, builtIn, drop, allow) };
  });
  const removed = new Set(decided.flatMap(({ tool, removedBy }) => (removedBy === undefined ? [] : [tool.name])));
  for (const { tool, builtIn, removedBy } of decided) {
    const target = `tools.${tool.name}`;
    if (context.claudeCode && builtIn && !isClaudeCodeTool(tool.name)) shaped.newBuiltIns.push(tool.name);
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
    shaped.tools.push(
      shapeTool(tool, policy, builtIn ? policy.stubDescriptions : policy.stubClientDescriptions, builtIn ? removed : NONE, target, shaped.hits, context.own),
    );
  }
  return shaped;
}

/** The rule that removes a tool: an explicit `drop` glob, or the allowlist for a built-in it leaves out; undefined: kept. */
function removingRule(
  name: string,
  builtIn: boolean,
  drop: readonly LinearRegex[],
  allow: ReadonlySet<string> | undefined,
): "tool-drop" | "tool-allowlist" | undefined {
  if (drop.some((glob) => glob.test(name))) return "tool-drop";
  if (builtIn && allow !== undefined && !allow.has(name)) return "tool-allowlist";
  return undefined;
}

const NONE: ReadonlySet<string> = new Set();

function shapeTool(
  tool: AnthropicCustomTool,
  policy: CompiledToolPolicy,
  stub: boolean | "sentence",
  removed: ReadonlySet<string>,
  target: string,
  hits: TrimRuleHit[],
  own: OwnLines | undefined,
): AnthropicCustomTool {
  let out = tool;
  if (tool.defer_loading !== undefined) {
    // Loaded: an ordinary tool from here on (no OpenAI server knows the field).
    const { defer_loading: _, ...rest } = tool;
    out = rest;
  }
  if (tool.description !== undefined && (stub !== false || policy.maxDescriptionChars !== undefined || removed.size > 0)) {
    const description = withUserItems(
      tool.description,
      shortenDescription(dropLinesNaming(tool.description, removed), policy.maxDescriptionChars, stub),
      tool.name,
      own,
    );
    if (description !== tool.description) {
      hits.push({ rule: "tool-description", target, charsRemoved: tool.description.length - description.length });
      out = { ...out, description };
    }
  }
  const dropParams = (policy.dropParams ?? []).flatMap((entry) => (entry.startsWith(`${tool.name}.`) ? [entry.slice(tool.name.length + 1)] : []));
  if (dropParams.length > 0 || policy.simplifySchemas) {
    const kept = dropOptionalParams(tool.input_schema, dropParams);
    const schema = policy.simplifySchemas ? simplifyToolSchema(kept, policy.propertyDescriptionMaxChars) : kept;
    const removed = JSON.stringify(tool.input_schema).length - JSON.stringify(schema).length;
    if (removed !== 0) {
      hits.push({ rule: "tool-schema", target, charsRemoved: removed });
      out = { ...out, input_schema: schema };
    }
  }
  return out;
}
