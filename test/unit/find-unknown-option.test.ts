import type { ArgsDef } from "citty";
import { describe, expect, it } from "vitest";
import { findUnknownOption } from "../../src/cli/args/find-unknown-option.js";

const args = {
  config: { type: "string", alias: "c" },
  "server-command": { type: "string" },
  check: { type: "boolean" },
  follow: { type: "boolean", alias: "f" },
  lines: { type: "string", alias: "n" },
  action: { type: "positional" },
} as const satisfies ArgsDef;

const find = (...rawArgs: string[]) => findUnknownOption(rawArgs, args);

describe("findUnknownOption", () => {
  it("accepts declared names, aliases, camelCase spellings, --no- for booleans and positionals", () => {
    expect(find("status", "--config", "a.yaml", "-c", "b.yaml", "--config=c.yaml", "--check", "--no-check", "--check=false")).toBeUndefined();
    expect(find("--server-command", "x --port {port}", "--serverCommand=y", "-f", "-fn", "5", "-n7", "-")).toBeUndefined();
  });

  it("names the first unknown option, with the closest declared one when it is close", () => {
    expect(find("--chek")).toEqual({ option: "--chek", suggestion: "--check" });
    expect(find("--server-comand=x")).toEqual({ option: "--server-comand", suggestion: "--server-command" });
    expect(find("--check", "--verbose")).toEqual({ option: "--verbose" });
    expect(find("--no-config")).toEqual({ option: "--no-config", suggestion: "--config" });
    expect(find("-x")).toEqual({ option: "-x" });
    expect(find("-fx")).toEqual({ option: "-x" });
    expect(find("-follow")).toEqual({ option: "-follow", suggestion: "--follow" }); // node reads -f -o -l …
    expect(findUnknownOption(["-np", "4"], { parallel: { type: "string", alias: "np" }, port: { type: "string", alias: "p" } })).toEqual({
      option: "-np",
      suggestion: "--parallel",
    });
  });

  it("never reads a string option's value or anything after -- as an option", () => {
    expect(find("--config", "--chek")).toBeUndefined();
    expect(find("-n", "-x")).toBeUndefined();
    expect(find("--", "--resume", "-p", "hi")).toBeUndefined();
    expect(find("--check", "--", "--chek")).toBeUndefined();
  });
});
