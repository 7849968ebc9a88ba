// The tools a request offers the model, shaped by the profile's tool policy: which are kept, and each
// kept tool's description and schema made shorter without what the model does not need to call it.
import type { LinearRegex } from "../linear-regex/compile-linear-regex.js";
import { linearRegexOf } from "../compile/linear-regex-of.js";
import type { CompiledToolPolicy } from "../compile/routing-table.js";
import type { AnthropicCustomTool, AnthropicTool, AnthropicToolChoice } from "../translate/anthropic-types.js";
import { isCustomTool } from "../translate/tool-calls/resolve-tool-call.js";
import { isBuiltInTool, isClaudeCodeTool } from "../shared/claude-code-tools.js";
import { ONE_SUBSCHEMA, SUBSCHEMA_LISTS, SUBSCHEMA_MAPS } from "../shared/json-schema-keywords.js";
import { withUserItems } from "./claude-code/own-list-items.js";
import type { OwnLines } from "./claude-code/own-lines.js";
import type { TrimRuleHit } from "./trim-types.js";

/**
 * A built-in tool's description without its lines that name a tool the model is not offered ("use
 * the Agent tool instead" in Glob's, when Agent was removed): the model would call it, or tell the
 * user it cannot. Whole words only (`Task` is not `TaskCreate`); words are split on what no tool
 * name holds, so a line costs linear time. The text as it is when nothing is left without them.
 */
export function dropLinesNaming(text: string, names: ReadonlySet<string>): string {
  if (names.size === 0) return text;
  const lines = text.split("\n");
  const kept = lines.filter((line) => !line.split(NOT_IN_A_NAME).some((word) => names.has(word)));
  return kept.length === lines.length || kept.every((line) => line.trim() === "") ? text : kept.join("\n");
}

const NOT_IN_A_NAME = /[^\w-]+/;

/** Longest property description a simplified schema keeps (its first paragraph, cut at a word). */
export const PROPERTY_DESCRIPTION_MAX_CHARS = 200;

/** Keywords that say nothing the model needs to call a tool correctly. */
const NOISE: ReadonlySet<string> = new Set(["$schema", "$id", "$comment", "examples", "title", "deprecated", "readOnly", "writeOnly"]);

/**
 * A tool's input schema without the noise: `$schema`, `examples`, titles, `additionalProperties:
 * false`, the ±2^53-1 bounds zod writes for "any integer", and long descriptions (cut to their
 * first paragraph, at most PROPERTY_DESCRIPTION_MAX_CHARS). Every property stays, with its type,
 * enum, const, default, format, bounds and `required`: the model still has what it needs to call
 * the tool correctly. Key order is kept, so the result is as stable as the input.
 * @param descriptionMaxChars the longest property description kept (default PROPERTY_DESCRIPTION_MAX_CHARS)
 */
export function simplifyToolSchema(schema: Record<string, unknown>, descriptionMaxChars = PROPERTY_DESCRIPTION_MAX_CHARS): Record<string, unknown> {
  return simplifyNode(schema, descriptionMaxChars) as Record<string, unknown>;
}

/**
 * The schema without the optional top-level properties named (`required` ones always stay);
 * the same object when it names none of them.
 */
export function dropOptionalParams(schema: Record<string, unknown>, names: readonly string[]): Record<string, unknown> {
  const properties = schema.properties;
  if (names.length === 0 || !isPlainObject(properties)) return schema;
  const required = new Set(Array.isArray(schema.required) ? schema.required : []);
  const dropped = names.filter((name) => Object.hasOwn(properties, name) && !required.has(name));
  if (dropped.length === 0) return schema;
  return { ...schema, properties: Object.fromEntries(Object.entries(properties).filter(([name]) => !dropped.includes(name))) };
}

function simplifyNode(node: unknown, max: number): unknown {
  if (Array.isArray(node)) return node.map((item) => simplifyNode(item, max));
  if (!isPlainObject(node)) return node;
  // No prototype while it is filled: a schema key named "__proto__" stays a key (the spread below keeps it one).
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, value] of Object.entries(node)) {
    if (NOISE.has(key)) continue;
    if (key === "additionalProperties" && value === false) continue;
    if ((key === "maximum" || key === "minimum") && typeof value === "number" && Math.abs(value) === Number.MAX_SAFE_INTEGER) continue;
    if (SUBSCHEMA_MAPS.has(key) && isPlainObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, simplifyNode(sub, max)]));
    } else if (ONE_SUBSCHEMA.has(key) || SUBSCHEMA_LISTS.has(key)) {
      out[key] = simplifyNode(value, max);
    } else if (key === "description" && typeof value === "string") {
      // 0: the names say it (file_path, old_string, command) and the characters go to the task.
      if (max > 0) out[key] = shortenDescription(value, max);
    } else {
      out[key] = value;
    }
  }
  return { ...out };
}

/**
 * A description stubbed (its first paragraph; with "sentence", its first sentence; with false, whole)
 * and cut to at most `max` characters: at a sentence or clause end, else at a word boundary ("…" included).
 */
export function shortenDescription(text: string, max: number | undefined, stub: boolean | "sentence" = true): string {
  const first = stub === false ? text.trim() : (text.trim().split(/\n[ \t]*\n/)[0] ?? "").trim();
  const paragraph = stub === "sentence" ? firstSentence(first) : first;
  if (max === undefined || paragraph.length <= max) return paragraph;
  // A whole sentence or clause where one ends past a third of the length: "The line number to start reading from."
  // rather than "The line number to start reading from. Only provide if the…".
  const clause = lastClauseEnd(paragraph.slice(0, max + 1), max / 3);
  if (clause >= 0) return paragraph.slice(0, clause).trimEnd();
  const head = paragraph.slice(0, Math.max(0, max - 1));
  // Cut back to the last whole word, unless the head already ends at one.
  const wordEnd = /\s/.test(paragraph.charAt(head.length)) ? head.length : head.search(/\s+\S*$/);
  return `${(wordEnd >= max / 2 ? head.slice(0, wordEnd) : head).trimEnd()}…`;
}

/**
 * Where the last sentence of `text` ends (after its full stop), else its last clause (before " (",
 * ", ", "; ", " - "), outside parentheses and at `min` or later; -1 when none does.
 */
function lastClauseEnd(text: string, min: number): number {
  let sentence = -1;
  let clause = -1;
  let depth = 0;
  for (const match of text.matchAll(/(?<=[\w)"'`])\.(?=\s|$)| \(|, |; | - |[()]/g)) {
    const mark = match[0];
    if (mark === ")") depth = Math.max(0, depth - 1);
    else if (mark === "(") depth += 1;
    else if (depth === 0 && mark === ".") sentence = match.index + 1;
    else if (depth === 0) clause = match.index;
    if (mark === " (") depth += 1;
  }
  return sentence >= min ? sentence : clause >= min ? clause : -1;
}

/**
 * A paragraph's first sentence, or its first line when that ends sooner (a list's first item, without
 * its "- "): up to a full stop followed by a space and a capital letter, so "e.g. x" does not end it.
 */
function firstSentence(paragraph: string): string {
  const line = paragraph.split("\n", 1)[0]!.replace(/^[-*] /, "");
  const end = /\.\s+(?=[A-Z])/.exec(line);
  return end === null ? line.trimEnd() : line.slice(0, end.index + 1);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

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
