/**
 * Turns ajv's errors for a tool call into one sentence the model can act on, e.g.
 * `Tool call to "Write" is missing required property "content"`.
 */
import type { ErrorObject } from "ajv/dist/2020.js";

const MAX_CLAUSES = 4;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** A short JSON rendering of a value the model wrote, so the sentence stays readable. */
function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

/** `/findings/0/file` → `findings/0/file`: the property as the model named it. */
const propertyAt = (instancePath: string): string => instancePath.replace(/^\//, "").replace(/~1/g, "/").replace(/~0/g, "~");

const where = (instancePath: string): string => (instancePath === "" ? "" : ` in "${propertyAt(instancePath)}"`);

function allowedValues(errors: readonly ErrorObject[]): unknown[] | null {
  const values: unknown[] = [];
  for (const error of errors) {
    if (error.keyword === "enum" && Array.isArray(error.params["allowedValues"])) values.push(...error.params["allowedValues"]);
    else if (error.keyword === "const") values.push(error.params["allowedValue"]);
    else return null;
  }
  return values;
}

function oneOfValues(property: string, data: unknown, values: readonly unknown[]): string {
  return `has property "${property}" set to ${show(data)} where ${values.length === 1 ? "" : "one of "}${values.map(show).join(", ")} is expected`;
}

/** One clause per error; `branchErrors` are the errors inside an anyOf/oneOf that failed as a whole. */
function describe(error: ErrorObject, branchErrors: readonly ErrorObject[]): string {
  const property = propertyAt(error.instancePath);
  switch (error.keyword) {
    case "required":
      return `is missing required property "${String(error.params["missingProperty"])}"${where(error.instancePath)}`;
    case "additionalProperties": {
      const known = isRecord(error.parentSchema) && isRecord(error.parentSchema["properties"]) ? Object.keys(error.parentSchema["properties"]) : [];
      const hint = known.length > 0 ? ` (known properties: ${known.join(", ")})` : "";
      return `has unknown property "${String(error.params["additionalProperty"])}"${where(error.instancePath)}${hint}`;
    }
    case "type":
      if (property === "") return `has arguments of type ${kindOf(error.data)} where an object is expected`;
      return `has property "${property}" of type ${kindOf(error.data)} where ${String(error.params["type"])} is expected`;
    case "enum":
    case "const":
      return oneOfValues(property, error.data, allowedValues([error]) ?? []);
    case "anyOf":
    case "oneOf": {
      const values = allowedValues(branchErrors);
      if (values !== null && values.length > 0) return oneOfValues(property, error.data, values);
      return `has property "${property}" that matches none of the forms its schema allows`;
    }
    default:
      return property === "" ? `has arguments that ${error.message ?? "are invalid"}` : `has property "${property}" that ${error.message ?? "is invalid"}`;
  }
}

export function describeSchemaErrors(toolName: string, errors: readonly ErrorObject[]): string {
  const branches = errors.filter((error) => error.keyword === "anyOf" || error.keyword === "oneOf");
  const insideBranch = (error: ErrorObject): boolean => branches.some((branch) => error !== branch && error.schemaPath.startsWith(`${branch.schemaPath}/`));
  const clauses = [
    ...new Set(
      errors
        .filter((error) => !insideBranch(error))
        .map((error) =>
          describe(
            error,
            errors.filter((inner) => inner.schemaPath.startsWith(`${error.schemaPath}/`)),
          ),
        ),
    ),
  ];
  const shown = clauses.slice(0, MAX_CLAUSES).join(", and ");
  const more = clauses.length > MAX_CLAUSES ? ` (and ${clauses.length - MAX_CLAUSES} more problems)` : "";
  return `Tool call to "${toolName}" ${shown || "does not match its input schema"}${more}`;
}
