import { describe, expect, it } from "vitest";
import { checkToolCall, createToolSchemaCache } from "../../src/tools/check-tool-call.js";

const call = { name: "t", arguments: { a: "x" }, untyped: false, raw: "" };

describe("a tool schema that compiles but cannot be run", () => {
  // {"$ref": "#"} recursed until the stack ran out: a 500 "mallex failed … Maximum call stack size exceeded" (found by the fuzz suite).
  it.each([
    [{ $ref: "#" }],
    [{ allOf: [{ $ref: "#" }] }],
    [{ type: "object", $ref: "#/$defs/a", $defs: { a: { $ref: "#/$defs/b" }, b: { $ref: "#/$defs/a" } } }],
  ])("%j: the call is kept, unchecked, and says why", (input_schema) => {
    const check = checkToolCall(call, [{ name: "t", input_schema }], undefined, createToolSchemaCache());
    expect(check).toMatchObject({ ok: true, name: "t", input: { a: "x" } });
    if (check.ok && check.schemaProblem !== undefined) expect(check.schemaProblem).toMatch(/^the input_schema of "t" cannot be (applied|compiled): /);
  });
});
