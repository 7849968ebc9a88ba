import type { GbnfJsonSchema } from "node-llama-cpp";

type Json = Record<string, unknown>;

const SCALARS = ["string", "number", "integer", "boolean", "null"] as const;
type Scalar = (typeof SCALARS)[number];

/** Any JSON value: what a schema says nothing about (or says what the grammar cannot express) allows. */
const ANY: GbnfJsonSchema = {
  oneOf: [{ type: [...SCALARS] }, { type: "object", additionalProperties: true }, { type: "array" }],
};

/**
 * A tool's JSON Schema as a grammar schema node-llama-cpp can enforce. The grammar language knows a
 * subset of JSON Schema; what it cannot express is widened (never narrowed), so every value the
 * tool accepts can still be generated and mallex's own check of the call stays the judge of the rest.
 * `$ref`s to `definitions`/`$defs` are inlined (bounded depth: recursive schemas end in "any value").
 */
export function jsonSchemaToGbnf(schema: unknown, root: unknown = schema, depth = 0): GbnfJsonSchema {
  if (typeof schema !== "object" || schema === null || depth > 12) return ANY;
  const s = schema as Json;
  const description = typeof s.description === "string" ? { description: s.description } : {};

  if (typeof s.$ref === "string") return jsonSchemaToGbnf(lookupRef(root, s.$ref), root, depth + 1);
  if ("const" in s && isScalarValue(s.const)) return { const: s.const, ...description };
  if (Array.isArray(s.enum) && s.enum.length > 0 && s.enum.every(isScalarValue))
    return { enum: s.enum as Array<string | number | boolean | null>, ...description };
  const alternatives = Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : undefined;
  if (alternatives && alternatives.length > 0) return { oneOf: alternatives.map((alt) => jsonSchemaToGbnf(alt, root, depth + 1)), ...description };
  if (Array.isArray(s.allOf) && s.allOf.length === 1) return jsonSchemaToGbnf(s.allOf[0], root, depth + 1);

  const types = (Array.isArray(s.type) ? s.type : typeof s.type === "string" ? [s.type] : []).filter((t): t is string => typeof t === "string");
  if (types.length === 0) return "properties" in s ? objectSchema(s, root, depth) : ANY;
  if (types.length > 1) {
    const scalars = types.filter((t): t is Scalar => (SCALARS as readonly string[]).includes(t));
    const others = types.filter((t) => t === "object" || t === "array").map((t) => jsonSchemaToGbnf({ ...s, type: t }, root, depth + 1));
    if (others.length === 0) return { type: scalars, ...description };
    return { oneOf: [...(scalars.length > 0 ? [{ type: scalars }] : []), ...others], ...description };
  }
  const type = types[0]!;
  if (type === "object") return objectSchema(s, root, depth);
  if (type === "array") {
    const items = s.items === undefined || typeof s.items === "boolean" ? undefined : jsonSchemaToGbnf(s.items, root, depth + 1);
    return {
      type: "array",
      ...(items ? { items } : {}),
      ...(typeof s.minItems === "number" ? { minItems: s.minItems } : {}),
      ...(typeof s.maxItems === "number" ? { maxItems: s.maxItems } : {}),
      ...description,
    };
  }
  if (type === "string") {
    return {
      type: "string",
      ...(typeof s.minLength === "number" ? { minLength: s.minLength } : {}),
      ...(typeof s.maxLength === "number" ? { maxLength: s.maxLength } : {}),
      ...description,
    };
  }
  if ((SCALARS as readonly string[]).includes(type)) return { type: type as Scalar, ...description };
  return ANY;
}

function objectSchema(s: Json, root: unknown, depth: number): GbnfJsonSchema {
  const properties = typeof s.properties === "object" && s.properties !== null ? (s.properties as Json) : {};
  const required = Array.isArray(s.required) ? s.required.filter((name): name is string => typeof name === "string" && name in properties) : [];
  const additional = s.additionalProperties;
  return {
    type: "object",
    properties: Object.fromEntries(Object.entries(properties).map(([name, value]) => [name, jsonSchemaToGbnf(value, root, depth + 1)])),
    required,
    // Unlike JSON Schema, the grammar reads an absent additionalProperties as "none": only an explicit
    // schema or true opens the object (an open object lets a small model ramble into extra keys).
    additionalProperties: typeof additional === "object" && additional !== null ? jsonSchemaToGbnf(additional, root, depth + 1) : false,
    ...(typeof s.description === "string" ? { description: s.description } : {}),
  } as GbnfJsonSchema;
}

/**
 * A tool's parameters as a grammar that lets the model leave the optional ones out. node-llama-cpp's
 * grammar makes every key of `properties` required, so a call held to the full schema must give every
 * optional parameter a value: the real Qwen2.5-Coder-1.5B filled Grep's glob with "*", type with
 * "string" and head_limit with 0, and found nothing. Here only the required ones are properties, and
 * any other key may follow with a value an optional parameter takes (widened, never narrowed: mallex's
 * check of the call against the tool's own schema judges the names). `optional` names them, with their
 * types, for the documentation the grammar no longer carries. With `exactUpTo`, a tool with at most
 * that many optional parameters gets one variant per set of them instead, so no key but the tool's
 * own can be written (held to the widened grammar, the 1.5B gave Glob Grep's `glob` and `output_mode`).
 */
export function toolParametersToGbnf(schema: unknown, { exactUpTo = 0 }: { exactUpTo?: number } = {}): { params: GbnfJsonSchema; optional: string[] } {
  const full = jsonSchemaToGbnf(schema);
  if (typeof full !== "object" || !("properties" in full) || full.properties === undefined) return { params: full, optional: [] };
  const s = schema as Json;
  const required = new Set(Array.isArray(s.required) ? s.required : []);
  const entries = Object.entries(full.properties as Record<string, GbnfJsonSchema>);
  const optional = entries.filter(([name]) => !required.has(name));
  if (optional.length === 0) return { params: full, optional: [] };
  const named = optional.map(([name, value]) => `${name} (${describeType(value)})`);
  // Few enough to list: one variant per set of optional parameters given, each key by its own name.
  if (optional.length <= exactUpTo) {
    const requiredEntries = entries.filter(([name]) => required.has(name));
    const variants = subsets(optional).map((given) => ({ ...full, properties: Object.fromEntries([...requiredEntries, ...given]) }) as GbnfJsonSchema);
    return { params: variants.length === 1 ? variants[0]! : { oneOf: variants }, optional: named };
  }
  const values = [...new Map(optional.map(([, value]) => [JSON.stringify(value), value])).values()];
  const open = full.additionalProperties;
  const extra = typeof open === "object" ? [...values, open] : values;
  return {
    params: {
      ...full,
      properties: Object.fromEntries(entries.filter(([name]) => required.has(name))),
      additionalProperties: extra.length === 1 ? extra[0]! : { oneOf: extra },
    } as GbnfJsonSchema,
    optional: named,
  };
}

/** Every subset of `items`, each in their order. */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((subset) => [...subset, item])], [[]]);
}

function describeType(schema: GbnfJsonSchema): string {
  if ("enum" in schema) return schema.enum.map((value) => JSON.stringify(value)).join(" | ");
  if ("const" in schema) return JSON.stringify(schema.const);
  if ("type" in schema) return Array.isArray(schema.type) ? schema.type.join(" | ") : String(schema.type);
  return "any";
}

function lookupRef(root: unknown, ref: string): unknown {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(2).split("/")) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Json)[part.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function isScalarValue(value: unknown): value is string | number | boolean | null {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}
