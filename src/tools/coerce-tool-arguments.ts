/**
 * Gives tool arguments the JSON types their input_schema asks for. XML and GLM calls carry every
 * value as text ("5", "true", "[1, 2]"), and JSON calls often quote numbers or encode an object as a
 * string. Only unambiguous conversions are made; anything else is left for validation to report.
 */
import { parseLenientJson } from "./internal/parse-lenient-json.js";

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function typeOfValue(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "boolean" || typeof value === "string" || typeof value === "object") return typeof value as JsonType;
  return "string";
}

/** The JSON types a property schema allows: its `type`, its enum/const values, its anyOf/oneOf branches. */
function allowedTypes(schema: unknown): Set<string> {
  const types = new Set<string>();
  if (!isRecord(schema)) return types;
  const type = schema["type"];
  for (const name of Array.isArray(type) ? type : [type]) if (typeof name === "string") types.add(name);
  const constants = Array.isArray(schema["enum"]) ? schema["enum"] : "const" in schema ? [schema["const"]] : [];
  for (const constant of constants) types.add(typeOfValue(constant));
  for (const key of ["anyOf", "oneOf"]) {
    const branches = schema[key];
    if (Array.isArray(branches)) for (const branch of branches) for (const t of allowedTypes(branch)) types.add(t);
  }
  return types;
}

const allows = (types: Set<string>, type: JsonType): boolean => types.has(type) || (type === "integer" && types.has("number"));

const INTEGER = /^[-+]?\d+(?:\.0*)?$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Converters from trimmed text, tried in this order; undefined means "not this type". */
const FROM_TEXT: ReadonlyArray<[JsonType, (text: string) => unknown]> = [
  ["null", (text) => (text === "null" || text === "None" ? null : undefined)],
  ["boolean", (text) => (/^true$/i.test(text) ? true : /^false$/i.test(text) ? false : undefined)],
  ["integer", (text) => (INTEGER.test(text) ? Number(text) : undefined)],
  ["number", (text) => (NUMBER.test(text) ? Number(text) : undefined)],
  ["object", (text) => parsedAs(text, "object")],
  ["array", (text) => parsedAs(text, "array")],
];

function parsedAs(text: string, type: "object" | "array"): unknown {
  if (!text.startsWith(type === "object" ? "{" : "[")) return undefined;
  const parsed = parseLenientJson(text);
  return parsed.ok && typeOfValue(parsed.value) === type ? parsed.value : undefined;
}

function coerceValue(value: unknown, types: Set<string>): unknown {
  if (types.size === 0) return value;
  if (typeof value === "string") {
    if (types.has("string")) return value;
    const text = value.trim();
    for (const [type, convert] of FROM_TEXT) {
      if (!types.has(type)) continue;
      const converted = convert(text);
      if (converted !== undefined) return converted;
    }
    return value;
  }
  // A number or boolean where only text is allowed (`"pattern": 404`) means that text.
  const isScalar = typeof value === "number" || typeof value === "boolean";
  return isScalar && types.has("string") && !allows(types, typeOfValue(value)) ? String(value) : value;
}

/**
 * Returns a copy of `args` with each top-level value converted to a type its property schema
 * allows, where that is unambiguous. Strings stay strings wherever the schema accepts a string.
 *
 * @example
 * coerceToolArguments({ limit: "20" }, { type: "object", properties: { limit: { type: "integer" } } })
 * // → { limit: 20 }
 */
export function coerceToolArguments(args: Record<string, unknown>, inputSchema: object): Record<string, unknown> {
  const properties = (inputSchema as { properties?: unknown }).properties;
  if (!isRecord(properties)) return { ...args };
  return Object.fromEntries(
    Object.entries(args).map(([key, value]) => [key, Object.hasOwn(properties, key) ? coerceValue(value, allowedTypes(properties[key])) : value]),
  );
}
