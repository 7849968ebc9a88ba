/**
 * The last gate before a parsed call becomes a tool_use block: map the model's tool name to a real
 * tool, give untyped values their schema types, and validate the input against the tool's schema.
 */
import type { Ajv2020, ValidateFunction } from "ajv/dist/2020.js";
import { createToolSchemaAjv } from "./create-tool-schema-ajv.js";
import { coerceToolArguments } from "./coerce-tool-arguments.js";
import { describeSchemaErrors } from "./describe-schema-errors.js";
import { createLruMap, type LruMap } from "../shared/lru-map.js";
import { dropSchemaPatterns } from "./drop-schema-patterns.js";
import type { ParsedToolCall } from "./parsers/types.js";

export interface CheckableTool {
  readonly name: string;
  readonly input_schema: object;
}

export type ToolCallCheck =
  | {
      ok: true;
      /** The real tool's name, which may differ from what the model wrote. */
      name: string;
      input: Record<string, unknown>;
      /** Set when the tool's own schema could not be compiled, so the input went unvalidated. */
      schemaProblem?: string;
    }
  | { ok: false; reason: string };

/**
 * Names models trained on other agents use for Claude Code's tools. Keys are compared without case
 * or separators, so `read_file`, `readFile` and `Read-File` are one entry.
 */
export const DEFAULT_TOOL_NAME_ALIASES: Readonly<Record<string, string>> = Object.freeze({
  read_file: "Read",
  view_file: "Read",
  write_file: "Write",
  create_file: "Write",
  edit_file: "Edit",
  str_replace: "Edit",
  replace_in_file: "Edit",
  bash: "Bash",
  shell: "Bash",
  run_command: "Bash",
  execute_command: "Bash",
  run_shell_command: "Bash",
  grep: "Grep",
  search: "Grep",
  search_files: "Grep",
  glob: "Glob",
  list_files: "Glob",
  find_files: "Glob",
  web_fetch: "WebFetch",
  fetch_url: "WebFetch",
  web_search: "WebSearch",
  todo_write: "TodoWrite",
});

/**
 * Compiled validators, keyed by schema text. Owned by the caller (per server or per response), and
 * bounded: every client may bring its own tools, and a proxy that runs for weeks must not keep each
 * schema it ever saw compiled.
 */
export interface ToolSchemaCache {
  readonly ajv: Ajv2020;
  readonly validators: LruMap<string, ValidateFunction | { readonly problem: string }>;
}

/** Claude Code's ~24 tools and a few clients' own, with room to spare. */
const MAX_CACHED_SCHEMAS = 256;

/**
 * Ajv is loaded (createToolSchemaAjv) when it is first needed, which a caller checking no tool call
 * does without. The proxy asks for it once it listens (warmToolSchemaCache).
 */
export function createToolSchemaCache(): ToolSchemaCache {
  let ajv: Ajv2020 | undefined;
  return {
    get ajv() {
      ajv ??= createToolSchemaAjv();
      return ajv;
    },
    validators: createLruMap(MAX_CACHED_SCHEMAS),
  };
}

/**
 * Loads Ajv and compiles a first schema now: the first schema compiled pays for loading Ajv and for
 * V8's first run of its compiler (30–60 ms of synchronous work on a loaded 2-vCPU machine; its
 * meta-schema check is precompiled, see createToolSchemaAjv), and in a proxy that first schema is the
 * first tool call's, checked while its answer streams in, holding every other request that long.
 * Each later schema takes about a millisecond.
 */
export function warmToolSchemaCache(cache: ToolSchemaCache): void {
  const schema = { type: "object" };
  cache.ajv.compile(schema);
  cache.ajv.removeSchema(schema);
}

const foldName = (name: string): string => name.toLowerCase().replace(/[\s_.-]/g, "");

function findTool<T extends CheckableTool>(name: string, tools: readonly T[]): T | undefined {
  const lower = name.toLowerCase();
  return tools.find((tool) => tool.name === name) ?? tools.find((tool) => tool.name.toLowerCase() === lower);
}

/** Exact name, then any case, then an alias; `functions.` is OpenAI-style namespacing some models copy. */
export function resolveToolName<T extends CheckableTool>(
  name: string,
  tools: readonly T[],
  aliases: Readonly<Record<string, string>> = DEFAULT_TOOL_NAME_ALIASES,
): T | undefined {
  const bare = name.trim().replace(/^functions\./, "");
  const direct = findTool(bare, tools);
  if (direct !== undefined) return direct;
  const folded = foldName(bare);
  const target = Object.entries(aliases).find(([alias]) => foldName(alias) === folded)?.[1];
  return target === undefined ? undefined : findTool(target, tools);
}

function validatorFor(schema: object, cache: ToolSchemaCache): ValidateFunction | { readonly problem: string } {
  const key = JSON.stringify(schema);
  const cached = cache.validators.get(key);
  if (cached !== undefined) return cached;
  // Claude Code declares draft 2020-12; dropping `$schema`/`$id` lets one Ajv accept older drafts too
  // and avoids "schema already exists" when two tools reuse an id. Patterns are not run (see
  // dropSchemaPatterns): a catastrophic one would stall every request behind this check.
  const { $schema: _draft, $id: _id, ...body } = schema as Record<string, unknown>;
  let compiled: ValidateFunction | { readonly problem: string };
  const checked = dropSchemaPatterns(body) as object;
  try {
    compiled = cache.ajv.compile(checked);
  } catch (error) {
    compiled = { problem: error instanceof Error ? error.message : String(error) };
  } finally {
    // Ajv keeps every schema it compiled; the LRU above is the only cache, so an evicted schema is freed.
    cache.ajv.removeSchema(checked);
  }
  cache.validators.set(key, compiled);
  return compiled;
}

function unknownToolReason(name: string, tools: readonly CheckableTool[]): string {
  if (tools.length === 0) return `Tool "${name}" does not exist: the request offers no tools`;
  return `Tool "${name}" does not exist; the available tools are ${tools.map((tool) => tool.name).join(", ")}`;
}

const UNKNOWN_TOOL_REASON = /^Tool "(.*)" does not exist[;:] /s;

/** The tool name of a reason {@link unknownToolReason} wrote, or undefined for any other reason. */
export function unknownToolNameOf(reason: string): string | undefined {
  return UNKNOWN_TOOL_REASON.exec(reason)?.[1];
}

/**
 * Checks one parsed call against the request's tools.
 *
 * @example
 * checkToolCall({ name: "write_file", arguments: { file_path: "a.txt" }, untyped: true, raw }, tools)
 * // → { ok: false, reason: 'Tool call to "Write" is missing required property "content"' }
 */
export function checkToolCall(
  call: ParsedToolCall,
  tools: readonly CheckableTool[],
  nameMap: Readonly<Record<string, string>> = DEFAULT_TOOL_NAME_ALIASES,
  cache: ToolSchemaCache = createToolSchemaCache(),
): ToolCallCheck {
  const tool = resolveToolName(call.name, tools, nameMap);
  if (tool === undefined) return { ok: false, reason: unknownToolReason(call.name, tools) };
  const input = coerceToolArguments(call.arguments, tool.input_schema);
  const validate = validatorFor(tool.input_schema, cache);
  if ("problem" in validate)
    return { ok: true, name: tool.name, input, schemaProblem: `the input_schema of "${tool.name}" cannot be compiled: ${validate.problem}` };
  let valid: boolean;
  try {
    valid = validate(input);
  } catch (error) {
    // A schema that compiles yet cannot be run ({"$ref": "#"} recurses without end) checks nothing.
    return {
      ok: true,
      name: tool.name,
      input,
      schemaProblem: `the input_schema of "${tool.name}" cannot be applied: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (valid) return { ok: true, name: tool.name, input };
  const reason = describeSchemaErrors(tool.name, validate.errors ?? []);
  // An argument the tool does not have, beside the right ones (a small model gave Glob Grep's glob and
  // output_mode): the call runs without it, a repair, rather than not at all.
  const known = withoutUnknownArguments(input, tool.input_schema);
  if (known !== undefined && validate(known)) return { ok: true, name: tool.name, input: known };
  return { ok: false, reason };
}

/** The arguments the schema names, where it allows no others and some were given; else undefined. */
function withoutUnknownArguments(input: Record<string, unknown>, schema: object): Record<string, unknown> | undefined {
  const { properties, additionalProperties } = schema as { properties?: unknown; additionalProperties?: unknown };
  if (additionalProperties !== false || typeof properties !== "object" || properties === null) return undefined;
  const known = Object.fromEntries(Object.entries(input).filter(([key]) => Object.hasOwn(properties, key)));
  return Object.keys(known).length < Object.keys(input).length ? known : undefined;
}
