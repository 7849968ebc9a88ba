import type { ErrorObject } from "ajv";
import type { ValidateFunction } from "../../generated/validate-config.mjs";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import type { LoadedConfig } from "./load-config.js";
import { originAt } from "./source-position.js";
import { suggestName } from "./suggest-name.js";

/** The schema's validator, precompiled by `npm run codegen` into generated/validate-config.mjs. */
export type ConfigValidator = ValidateFunction;

/** Runs the schema (filling in its defaults) and turns every ajv error into a diagnostic at the file:line:col that wrote the value. */
export function validateSchema(config: LoadedConfig, validate: ConfigValidator): Diagnostic[] {
  if (validate(config.value)) return [];
  const errors = collapseAlternatives(validate.errors ?? []);
  return errors.map((error) => toDiagnostic(error, config));
}

/** A failed oneOf/anyOf reports once, not once per branch. */
function collapseAlternatives(errors: readonly ErrorObject[]): ErrorObject[] {
  const alternatives = errors.filter((e) => e.keyword === "oneOf" || e.keyword === "anyOf");
  return errors.filter((e) => !alternatives.some((alt) => alt !== e && e.instancePath === alt.instancePath && e.schemaPath.startsWith(`${alt.schemaPath}/`)));
}

/**
 * What an error may quote as a key: a name as configs write them. Anything else is some other file's
 * content (`include: [/etc/shadow]` parses as keys such as "root:$6$…"), which must never reach a
 * terminal or a CI log.
 */
const KEY_NAME = /^[A-Za-z_][\w.-]{0,63}$/;

function toDiagnostic(error: ErrorObject, config: LoadedConfig): Diagnostic {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
  const at = (segments: string[]) => originAt(config.value, config.origins, segments, config.entry);
  const where = describePath(path);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const known = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      const guess = suggestName(key, known);
      return diagnostic(
        "schema-unknown-key",
        at([...path, key]).key ?? at([...path, key]).value,
        KEY_NAME.test(key)
          ? `unknown key "${key}" in ${where}`
          : `unknown key in ${where} (not quoted: it does not look like a key name; is this a mallex config?)`,
        guess ? `did you mean "${guess}"?` : known.length ? `allowed keys: ${known.join(", ")}` : undefined,
      );
    }
    case "required": {
      const origin = at(path);
      return diagnostic(
        "schema-missing-key",
        origin.key ?? origin.value,
        `${where} is missing required key "${String(params.missingProperty)}"`,
        `add ${String(params.missingProperty)}: …`,
      );
    }
    case "type":
      return diagnostic(
        "schema-type",
        at(path).value,
        `${where} must be ${String(params.type)}, got ${describeValue(error.data)}`,
        typeHint(String(params.type)),
      );
    case "enum": {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const guess = typeof error.data === "string" ? suggestName(error.data, allowed) : undefined;
      return diagnostic(
        "schema-enum",
        at(path).value,
        `${where} must be one of ${allowed.join(", ")}, got ${describeValue(error.data)}`,
        guess ? `did you mean "${guess}"?` : undefined,
      );
    }
    case "oneOf":
    case "anyOf":
      return diagnostic("schema-value", at(path).value, `${where} must be ${alternativesOf(error)}, got ${describeValue(error.data)}`);
    case "propertyNames": {
      const name = String(params.propertyName);
      return diagnostic(
        "schema-value",
        at([...path, name]).key ?? at(path).value,
        KEY_NAME.test(name) ? `"${name}" is not a valid name in ${where}` : `a name in ${where} is not valid (not quoted: it does not look like a name)`,
        "use letters, digits, '.', '_' or '-'",
      );
    }
    default:
      return diagnostic("schema-value", at(path).value, `${where} ${error.message ?? "is not valid"}`);
  }
}

function alternativesOf(error: ErrorObject): string {
  const branches = ((error.parentSchema as Record<string, unknown> | undefined)?.[error.keyword] ?? []) as Array<{ type?: string }>;
  return branches.map((b) => b.type ?? "a valid value").join(" or ");
}

function describePath(path: readonly string[]): string {
  if (path.length === 0) return "the config";
  return path.reduce((out, segment) => (/^\d+$/.test(segment) ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment), "");
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a map";
  if (typeof value === "string") return `string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value} ${String(value)}`;
}

function typeHint(type: string): string | undefined {
  switch (type) {
    case "integer":
      return "write a whole number, without quotes";
    case "number":
      return "write a number, without quotes";
    case "boolean":
      return "write true or false";
    case "array":
      return "write a list: [a, b] or one '- item' per line";
    case "object":
      return "write a map of key: value lines";
    default:
      return undefined;
  }
}
