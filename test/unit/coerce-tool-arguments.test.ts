import { describe, expect, it } from "vitest";
import { coerceToolArguments } from "../../src/tools/coerce-tool-arguments.js";

describe("coerceToolArguments", () => {
  const schema = {
    type: "object",
    properties: {
      count: { type: "integer" },
      ratio: { type: "number" },
      flag: { type: "boolean" },
      tags: { type: "array", items: { type: "string" } },
      options: { type: "object" },
      nothing: { type: "null" },
      maybe: { type: ["integer", "null"] },
      name: { type: "string" },
      level: { enum: [1, 2, 3] },
      anything: {},
    },
  };

  it("converts untyped text by the property's schema type", () => {
    expect(
      coerceToolArguments(
        {
          count: " 5\n",
          ratio: "0.25",
          flag: "True",
          tags: '["a", "b"]',
          options: '{"deep": {"x": 1}}',
          nothing: "null",
          maybe: "None",
          name: "42",
          level: "2",
          anything: "[1]",
        },
        schema,
      ),
    ).toEqual({
      count: 5,
      ratio: 0.25,
      flag: true,
      tags: ["a", "b"],
      options: { deep: { x: 1 } },
      nothing: null,
      maybe: null,
      name: "42",
      level: 2,
      anything: "[1]",
    });
  });

  it("reads Python-literal style objects and arrays", () => {
    expect(coerceToolArguments({ tags: "['it''s', \"b\",]", options: "{'on': True, 'off': None, 'n': 'x, y'}" }, schema)).toEqual({
      tags: "['it''s', \"b\",]",
      options: { on: true, off: null, n: "x, y" },
    });
    expect(coerceToolArguments({ tags: "['a\\'b', 'c']" }, schema)).toEqual({ tags: ["a'b", "c"] });
  });

  it("leaves values that do not convert for validation to report", () => {
    const args = { count: "five", ratio: "1.5x", flag: "yes", tags: "a, b", options: "{bad", maybe: "2.5" };
    expect(coerceToolArguments(args, schema)).toEqual(args);
  });

  it("decodes JSON strings in typed calls and stringifies scalars where text is wanted", () => {
    expect(coerceToolArguments({ tags: '["x"]', name: 7, flag: false, count: 3, unknown: "1" }, schema)).toEqual({
      tags: ["x"],
      name: "7",
      flag: false,
      count: 3,
      unknown: "1",
    });
  });

  it("keeps every key, even one named __proto__, and does not touch its input", () => {
    const args = JSON.parse('{"__proto__": "x", "count": "1"}') as Record<string, unknown>;
    const result = coerceToolArguments(args, schema);
    expect(Object.keys(result)).toEqual(["__proto__", "count"]);
    expect(args["count"]).toBe("1");
  });
});
