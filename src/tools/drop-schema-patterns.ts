import { ONE_SUBSCHEMA, SUBSCHEMA_LISTS, SUBSCHEMA_MAPS } from "../shared/json-schema-keywords.js";

/**
 * A tool's input_schema without its regular expressions (`pattern`, `patternProperties`), for
 * checking a model's call in mallex's one thread: a client's pattern such as `(a+)+$` (an MCP
 * server's, say) against a 40-character argument backtracks for hours, and every other request
 * would wait behind it. The client still checks its own tool's input; mallex only needs the shape.
 */

/**
 * Copies `schema` with `pattern` dropped from every subschema and `patternProperties` dropped (with
 * `additionalProperties: false` beside it, which would otherwise refuse the names the patterns let
 * through). A property called `pattern` (Grep's) is a name, not a keyword, and stays.
 *
 * @example
 * dropSchemaPatterns({ type: "object", properties: { pattern: { type: "string", pattern: "(a+)+$" } } })
 * // → { type: "object", properties: { pattern: { type: "string" } } }
 */
export function dropSchemaPatterns(schema: unknown): unknown {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) return schema;
  const source = schema as Record<string, unknown>;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === "pattern" && typeof value === "string") continue;
    if (key === "patternProperties") continue;
    if (key === "additionalProperties" && value === false && "patternProperties" in source) continue;
    // defineProperty: a key named __proto__ stays a key (an assignment would set the prototype).
    Object.defineProperty(copy, key, { value: subschemasOf(key, value), enumerable: true, writable: true, configurable: true });
  }
  return copy;
}

function subschemasOf(key: string, value: unknown): unknown {
  if (SUBSCHEMA_LISTS.has(key) && Array.isArray(value)) return value.map(dropSchemaPatterns);
  if (ONE_SUBSCHEMA.has(key)) return dropSchemaPatterns(value);
  // patternProperties never gets here: dropSchemaPatterns drops it first.
  if (SUBSCHEMA_MAPS.has(key) && value !== null && typeof value === "object" && !Array.isArray(value)) {
    const map: Record<string, unknown> = {};
    for (const [name, sub] of Object.entries(value))
      Object.defineProperty(map, name, { value: dropSchemaPatterns(sub), enumerable: true, writable: true, configurable: true });
    return map;
  }
  return value;
}
