import { readFileSync } from "node:fs";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { MallexConfig, Profile } from "../generated/config.js";
import {
  renderConfigReference,
  renderConfigTypes,
  renderConfigValidator,
  renderJsonSchemaValidator,
  renderMessagesValidator,
  TOOL_SCHEMA_AJV_OPTIONS as CODEGEN_TOOL_SCHEMA_OPTIONS,
  VALIDATOR_TYPES,
  // @ts-expect-error scripts/codegen.js is plain JavaScript without types
} from "../scripts/codegen.js";
import { TOOL_SCHEMA_AJV_OPTIONS } from "../src/tools/create-tool-schema-ajv.js";

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), "utf8");

describe("code generated from schema/mallex.schema.json", () => {
  it("generated/config.ts is up to date (run `npm run codegen`)", async () => {
    expect(read("generated/config.ts")).toBe(await renderConfigTypes());
  });

  it("generated/validate-config.mjs is up to date (run `npm run codegen`)", () => {
    expect(read("generated/validate-config.mjs")).toBe(renderConfigValidator());
    expect(read("generated/validate-config.d.mts")).toBe(VALIDATOR_TYPES);
  });

  it("generated/validate-messages.mjs is up to date (run `npm run codegen`)", () => {
    expect(read("generated/validate-messages.mjs")).toBe(renderMessagesValidator());
    expect(read("generated/validate-messages.d.mts")).toBe(VALIDATOR_TYPES);
  });

  it("generated/validate-json-schema.cjs is up to date, compiled with the tool-call checker's Ajv options (run `npm run codegen`)", () => {
    expect(read("generated/validate-json-schema.cjs")).toBe(renderJsonSchemaValidator());
    expect(CODEGEN_TOOL_SCHEMA_OPTIONS).toEqual(TOOL_SCHEMA_AJV_OPTIONS);
  });

  it("docs/configuration-reference.md is up to date (run `npm run codegen`)", () => {
    expect(read("docs/configuration-reference.md")).toBe(renderConfigReference());
  });

  it("types follow the schema", () => {
    expectTypeOf<Profile["size"]>().toEqualTypeOf<"small" | "medium" | "large">();
    expectTypeOf<NonNullable<MallexConfig["tiers"]>>().toHaveProperty("high");
    expectTypeOf<MallexConfig["include"]>().toEqualTypeOf<string[] | undefined>();
  });

  it("documents every property, so editors show help for each key", () => {
    const schema = JSON.parse(read("schema/mallex.schema.json")) as object;
    const undocumented: string[] = [];
    const visit = (node: unknown, path: string) => {
      if (node === null || typeof node !== "object") return;
      const properties = (node as { properties?: Record<string, { description?: string; $ref?: string }> }).properties ?? {};
      for (const [key, child] of Object.entries(properties)) {
        if (!child.description && !child.$ref) undocumented.push(`${path}.${key}`);
      }
      for (const [key, child] of Object.entries(node)) visit(child, `${path}.${key}`);
    };
    visit(schema, "#");
    expect(undocumented).toEqual([]);
  });
});
