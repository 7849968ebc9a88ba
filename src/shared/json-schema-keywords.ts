// JSON Schema's keywords whose values are subschemas (draft-07 to 2020-12): what code that walks a
// tool's input_schema goes into, and what it leaves as a value.

/** Keywords whose value is one subschema (`items` is also a list in draft-07's tuple form). */
export const ONE_SUBSCHEMA: ReadonlySet<string> = new Set([
  "additionalProperties",
  "items",
  "additionalItems",
  "contains",
  "propertyNames",
  "not",
  "if",
  "then",
  "else",
  "unevaluatedItems",
  "unevaluatedProperties",
]);

/** Keywords whose value is a list of subschemas. */
export const SUBSCHEMA_LISTS: ReadonlySet<string> = new Set(["allOf", "anyOf", "oneOf", "prefixItems", "items"]);

/** Keywords whose value maps names (data, never keywords) to subschemas. */
export const SUBSCHEMA_MAPS: ReadonlySet<string> = new Set(["properties", "patternProperties", "$defs", "definitions", "dependentSchemas"]);
