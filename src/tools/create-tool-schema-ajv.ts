import { createRequire } from "node:module";
import { join } from "node:path";
import type { Ajv2020, Options, ValidateFunction } from "ajv/dist/2020.js";
import { findPackageRoot } from "../shared/package-root.js";

/**
 * The options of the Ajv that checks tool calls against their tools' input_schema. Formats are not
 * checked: a strict "uri" check would reject inputs Claude Code itself accepts. `npm run codegen`
 * precompiles the meta-schema with the same options (scripts/codegen.js; a test holds the two equal).
 */
export const TOOL_SCHEMA_AJV_OPTIONS: Readonly<Options> = Object.freeze({
  strict: false,
  allErrors: true,
  verbose: true,
  validateFormats: false,
  logger: false,
});

/** JSON Schema 2020-12, the draft Claude Code declares and the one Ajv2020 checks a schema against. */
export const META_SCHEMA_2020 = "https://json-schema.org/draft/2020-12/schema";

/**
 * A new Ajv for tool schemas, loaded from node_modules by Node's own require (the CLI bundle leaves
 * it alone), with the meta-schema check precompiled: Ajv checks every schema it compiles against the
 * meta-schema, and compiling that meta-schema itself, the first time, cost ~45 ms and ~4.5 MiB of the
 * proxy's RSS (its generated code and the garbage of generating it). generated/validate-json-schema.cjs
 * is that same validator, compiled by `npm run codegen`; a schema that names another draft in its
 * `$schema` still goes to Ajv's own check. Errors and messages are Ajv's ("schema is invalid: data/type
 * must be equal to one of the allowed values"), raised at the same point of compile().
 */
export function createToolSchemaAjv(): Ajv2020 {
  const load = createRequire(import.meta.url);
  const { Ajv2020 } = load("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const checkMetaSchema = load(join(findPackageRoot(), "generated", "validate-json-schema.cjs")) as ValidateFunction;
  // Its own meta-schemas are added unchecked (Ajv adds them so), so building it compiles none.
  const ajv = new Ajv2020({ ...TOOL_SCHEMA_AJV_OPTIONS });
  const ajvCheck = ajv.validateSchema.bind(ajv);
  // Ajv.validateSchema as Ajv writes it, but for the meta-schema it would have to compile first.
  ajv.validateSchema = (schema, throwOrLogError) => {
    if (typeof schema == "boolean") return true;
    const named: unknown = (schema as { $schema?: unknown }).$schema;
    if (named !== undefined && typeof named != "string") throw new Error("$schema must be a string");
    if ((named || ajv.opts.defaultMeta || META_SCHEMA_2020) !== META_SCHEMA_2020) return ajvCheck(schema, throwOrLogError);
    const valid = checkMetaSchema(schema);
    ajv.errors = checkMetaSchema.errors ?? null;
    if (!valid && throwOrLogError) throw new Error(`schema is invalid: ${ajv.errorsText()}`);
    return valid;
  };
  return ajv;
}
