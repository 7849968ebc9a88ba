import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { scanJsonBody } from "../../src/http/scan-json-body.js";

/** Each top-level field as scanJsonBody found it: its text parsed, and its compact length. */
function fieldsOf(text: string) {
  const scan = scanJsonBody(text, 256);
  if (scan.tooDeep) throw new Error("too deep");
  return Object.fromEntries(
    [...scan.fields].map(([key, span]) => [key, { value: JSON.parse(text.slice(span.start, span.end)) as unknown, compactChars: span.compactChars }]),
  );
}

describe("scanJsonBody", () => {
  it("finds every top-level value and measures it as JSON.stringify does, however the body is spaced", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), fc.constantFrom(undefined, 2, "\t"), (body, indent) => {
        const found = fieldsOf(JSON.stringify(body, null, indent));
        expect(Object.keys(found).sort()).toEqual(Object.keys(body).sort());
        for (const [key, value] of Object.entries(body)) {
          expect(found[key]!.value).toEqual(JSON.parse(JSON.stringify(value)));
          expect(found[key]!.compactChars).toBe(JSON.stringify(value).length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("reads escaped keys and quotes, and keeps the last of a repeated key (as JSON.parse does)", () => {
    const text = ' { "sys\\u0074em" : "a \\"b\\" \\\\" , "tools":[1],\n "tools" : [ {"x": "}"} ] } ';
    expect(fieldsOf(text)).toEqual({ system: { value: 'a "b" \\', compactChars: 12 }, tools: { value: [{ x: "}" }], compactChars: 11 } });
  });

  it("finds no fields in a body that is not an object, and still checks its depth", () => {
    expect(scanJsonBody('["a", 1, {"b": 2}]', 8)).toEqual({ tooDeep: false, fields: new Map() });
    expect(scanJsonBody("[[[]]]", 2)).toEqual({ tooDeep: true });
  });
});
