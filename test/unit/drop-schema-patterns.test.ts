import { describe, expect, it } from "vitest";
import { checkToolCall, createToolSchemaCache } from "../../src/tools/check-tool-call.js";
import { dropSchemaPatterns } from "../../src/tools/drop-schema-patterns.js";

const call = (args: Record<string, unknown>) => ({ name: "t", arguments: args, untyped: false, raw: "" });

describe("a tool schema's regular expressions are not run on the model's call", () => {
  it("a catastrophic pattern against a long argument answers at once (it used to backtrack for hours, stalling every request)", () => {
    const tools = [{ name: "t", input_schema: { type: "object", properties: { a: { type: "string", pattern: "(a+)+$" } }, required: ["a"] } }];
    const started = performance.now();
    const check = checkToolCall(call({ a: `${"a".repeat(40)}!` }), tools, undefined, createToolSchemaCache());
    // Backtracking takes hours here; the bound leaves room for compiling the schema on a loaded machine.
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(check).toMatchObject({ ok: true, input: { a: `${"a".repeat(40)}!` } });
    // Everything but the pattern is still checked.
    expect(checkToolCall(call({}), tools, undefined, createToolSchemaCache())).toMatchObject({ ok: false, reason: expect.stringContaining('"a"') });
  });

  it("drops pattern in every subschema, keeps a property named pattern (Grep's)", () => {
    const schema = {
      type: "object",
      properties: { pattern: { type: "string", pattern: "^x" }, list: { type: "array", items: { type: "string", pattern: "(a|a)*$" } } },
      anyOf: [{ pattern: "a" }, { $ref: "#/$defs/d" }],
      $defs: { d: { type: "string", pattern: "b" } },
      propertyNames: { pattern: "^[a-z]+$" },
    };
    expect(dropSchemaPatterns(schema)).toEqual({
      type: "object",
      properties: { pattern: { type: "string" }, list: { type: "array", items: { type: "string" } } },
      anyOf: [{}, { $ref: "#/$defs/d" }],
      $defs: { d: { type: "string" } },
      propertyNames: {},
    });
  });

  it("drops patternProperties with the additionalProperties: false beside it, leaves other schemas and __proto__ keys as they are", () => {
    expect(dropSchemaPatterns({ type: "object", patternProperties: { "^(a+)+$": { type: "number" } }, additionalProperties: false })).toEqual({
      type: "object",
    });
    expect(dropSchemaPatterns({ type: "object", additionalProperties: false })).toEqual({ type: "object", additionalProperties: false });
    const hostile = dropSchemaPatterns(JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string","pattern":"x"}}}')) as { properties: object };
    expect(Object.getPrototypeOf(hostile.properties)).toBe(Object.prototype);
    expect(Object.keys(hostile.properties)).toEqual(["__proto__"]);
    for (const value of [null, "text", 3, [{ pattern: "a" }]]) expect(dropSchemaPatterns(value)).toEqual(value);
  });
});
