import { getLlama, LlamaLogLevel } from "node-llama-cpp";
import { describe, expect, it } from "vitest";
import { jsonSchemaToGbnf, toolParametersToGbnf } from "../src/engine/json-schema-to-gbnf.js";

/** Claude Code's Grep, shortened: one required parameter and optional ones of several types. */
const GREP = {
  type: "object",
  properties: {
    pattern: { type: "string" },
    glob: { type: "string" },
    output_mode: { type: "string", enum: ["content", "files_with_matches", "count"] },
    "-i": { type: "boolean" },
    head_limit: { type: "number" },
  },
  required: ["pattern"],
  additionalProperties: false,
};

describe("a tool call held to its grammar in the embedded engine (node-llama-cpp's grammar, real)", () => {
  it("may leave the optional parameters out, or give some of them; the full schema's grammar could not", async () => {
    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
    try {
      const { params, optional } = toolParametersToGbnf(GREP);
      const grammar = await llama.createGrammarForJsonSchema(params as never);
      expect(grammar.parse('{"pattern": "fetchWithRetry"}')).toEqual({ pattern: "fetchWithRetry" });
      expect(grammar.parse('{"pattern": "x", "output_mode": "count", "-i": true}')).toEqual({ pattern: "x", output_mode: "count", "-i": true });
      expect(optional).toEqual(["glob (string)", 'output_mode ("content" | "files_with_matches" | "count")', "-i (boolean)", "head_limit (number)"]);
      // Before: every property required by node-llama-cpp, so a call had to invent a glob, a type, a limit.
      const full = await llama.createGrammarForJsonSchema(jsonSchemaToGbnf(GREP) as never);
      expect(() => full.parse('{"pattern": "fetchWithRetry"}')).toThrow();
      // A tool whose parameters are all required keeps its schema as it was.
      expect(toolParametersToGbnf({ type: "object", properties: { command: { type: "string" } }, required: ["command"] }).optional).toEqual([]);
    } finally {
      await llama.dispose();
    }
  });
});

describe("a forced call's grammar with few optional parameters", () => {
  it("takes each set of them by their own names, and no other key", async () => {
    const llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: "never" });
    try {
      const glob = {
        type: "object",
        properties: { pattern: { type: "string" }, path: { type: "string" } },
        required: ["pattern"],
        additionalProperties: false,
      };
      const grammar = await llama.createGrammarForJsonSchema(toolParametersToGbnf(glob, { exactUpTo: 4 }).params as never);
      expect(grammar.parse('{"pattern": "*.js"}')).toEqual({ pattern: "*.js" });
      expect(grammar.parse('{"pattern": "*.js", "path": "/repo"}')).toEqual({ pattern: "*.js", path: "/repo" });
      // Held to the widened grammar, the 1.5B gave Glob the glob and output_mode of a Grep.
      expect(() => grammar.parse('{"pattern": "*.js", "output_mode": "count"}')).toThrow();
    } finally {
      await llama.dispose();
    }
  });
});
