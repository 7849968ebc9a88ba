/** Longest property description a simplified schema keeps (its first paragraph, cut at a word). */
export const PROPERTY_DESCRIPTION_MAX_CHARS = 200;

/** Keywords that say nothing the model needs to call a tool correctly. */
const NOISE: ReadonlySet<string> = new Set(["$schema", "$id", "$comment", "examples", "title", "deprecated", "readOnly", "writeOnly"]);
/** Keywords whose value is a map of name → subschema (the names are data, never dropped). */
const SCHEMA_MAPS: ReadonlySet<string> = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
/** Keywords whose value is one subschema, or a list of them. */
const SUBSCHEMAS: ReadonlySet<string> = new Set([
  "items",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "anyOf",
  "oneOf",
  "allOf",
  "prefixItems",
]);

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
    if (SCHEMA_MAPS.has(key) && isPlainObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, simplifyNode(sub, max)]));
    } else if (SUBSCHEMAS.has(key)) {
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
