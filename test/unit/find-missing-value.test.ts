import type { ArgsDef } from "citty";
import { describe, expect, it } from "vitest";
import { findMissingValue } from "../../src/cli/args/find-missing-value.js";

const args = {
  embedded: { type: "string", valueHint: "gguf" },
  port: { type: "string", alias: "p", valueHint: "n" },
  follow: { type: "boolean", alias: "f" },
  lines: { type: "string", alias: "n" },
  action: { type: "positional" },
} as const satisfies ArgsDef;

const find = (...rawArgs: string[]) => findMissingValue(rawArgs, args);

describe("findMissingValue", () => {
  it("accepts every string option with a value, in each spelling", () => {
    expect(find("status", "--embedded", "m.gguf", "-p", "0", "--port=1", "-fn", "5", "-n7", "-f", "--no-follow")).toBeUndefined();
    expect(find("--embedded", "-not-an-option.gguf")).toBeUndefined();
  });

  it('names a string option with nothing after it, before --, with = and nothing, or with ""', () => {
    expect(find("--embedded")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("--embedded", "--", "-p", "hi")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("--embedded=", "--port", "1")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("--embedded", "")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("-p")).toEqual({ option: "-p", name: "port", valueHint: "n" });
    expect(find("-fn")).toEqual({ option: "-n", name: "lines" });
  });

  it("names one whose next word is another of the command's options (node:util would take it as the value)", () => {
    expect(find("--embedded", "--port", "4000")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("--embedded", "-f")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
    expect(find("--embedded", "--no-follow")).toEqual({ option: "--embedded", name: "embedded", valueHint: "gguf" });
  });

  it("reads nothing after --", () => {
    expect(find("--port", "1", "--", "--embedded")).toBeUndefined();
  });
});
