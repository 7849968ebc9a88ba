/**
 * The tool-call checker's Ajv checks each schema against JSON Schema 2020-12 with a precompiled
 * validator (generated/validate-json-schema.cjs) instead of compiling the meta-schema at run time
 * (~45 ms, ~4.5 MiB of the proxy's RSS): what it accepts, what it refuses and what it says are Ajv's.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createToolSchemaAjv, META_SCHEMA_2020, TOOL_SCHEMA_AJV_OPTIONS } from "../../src/tools/create-tool-schema-ajv.js";
import { describeWithShared, sharedPath } from "../helpers/shared-dir.js";

/** What compile() does with a schema: a validator's verdicts on some inputs, or the message it throws. */
function outcome(ajv: Ajv2020, schema: object): string {
  try {
    const validate = ajv.compile(schema);
    const verdicts = [{}, { a: 1 }, [], "x", 3, null].map((input) => String(validate(input)));
    ajv.removeSchema(schema);
    return verdicts.join(",");
  } catch (error) {
    return `throws: ${(error as Error).message}`;
  }
}

const KEYS = [
  "type",
  "properties",
  "items",
  "required",
  "enum",
  "anyOf",
  "oneOf",
  "not",
  "minimum",
  "maxLength",
  "additionalProperties",
  "$defs",
  "const",
  "prefixItems",
  "contains",
  "if",
  "then",
  "dependentSchemas",
  "unevaluatedProperties",
  "description",
  "default",
];
const VALUES = fc.oneof(
  fc.constantFrom("object", "string", "array", "number", "integer", "boolean", "null", "bogus"),
  fc.integer({ min: -2, max: 3 }),
  fc.boolean(),
  fc.array(fc.constantFrom("a", "b", 1, "string"), { maxLength: 3 }),
  fc.constantFrom({}, { type: "string" }, { type: "x" }, null),
);
const schemas = fc.letrec((tie) => ({
  schema: fc.dictionary(
    fc.constantFrom(...KEYS),
    fc.oneof({ depthSize: "small" }, VALUES, tie("schema"), fc.dictionary(fc.constantFrom("a", "b"), tie("schema"), { maxKeys: 2 })),
    { maxKeys: 4 },
  ),
})).schema;

const plain = new Ajv2020({ ...TOOL_SCHEMA_AJV_OPTIONS });
const ours = createToolSchemaAjv();

describeWithShared("createToolSchemaAjv on captured requests", () => {
  it("compiles Claude Code's tool schemas as Ajv does", () => {
    const dir = sharedPath("fixtures", "claude-code");
    const inputSchemas = readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .flatMap((name) =>
        ((JSON.parse(readFileSync(join(dir, name), "utf8")) as { body?: { tools?: Array<{ input_schema?: object }> } }).body?.tools ?? []).map(
          (tool) => tool.input_schema,
        ),
      );
    expect(inputSchemas.length).toBeGreaterThan(20);
    for (const schema of inputSchemas) if (schema !== undefined) expect(outcome(ours, schema)).toBe(outcome(plain, schema));
  });
});

describe("createToolSchemaAjv", () => {
  it("refuses what Ajv refuses, with Ajv's message", () => {
    expect(outcome(ours, { type: "objekt" })).toBe(outcome(plain, { type: "objekt" }));
    expect(outcome(ours, { type: "objekt" })).toMatch(/^throws: schema is invalid: data\/type must be equal to one of the allowed values/);
    expect(outcome(ours, { $schema: 3 } as object)).toBe("throws: $schema must be a string");
    fc.assert(
      fc.property(schemas, (schema) => {
        expect(outcome(ours, schema)).toBe(outcome(plain, schema));
      }),
      { numRuns: 2000 },
    );
  });

  it("never compiles the meta-schema itself", () => {
    const ajv = createToolSchemaAjv();
    outcome(ajv, { type: "object", properties: { a: { type: "string" } } });
    outcome(ajv, { type: "bogus" });
    expect((ajv.schemas[META_SCHEMA_2020] as { validate?: unknown } | undefined)?.validate).toBeUndefined();
  });
});
