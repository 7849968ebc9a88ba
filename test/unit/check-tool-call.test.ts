import { describe, expect, it } from "vitest";
import { checkToolCall, createToolSchemaCache, DEFAULT_TOOL_NAME_ALIASES, resolveToolName, warmToolSchemaCache } from "../../src/tools/check-tool-call.js";
import type { CheckableTool } from "../../src/tools/check-tool-call.js";
import type { ParsedToolCall } from "../../src/tools/parsers/index.js";

const DRAFT = "https://json-schema.org/draft/2020-12/schema";
const object = (properties: Record<string, object>, required: string[] = []): object => ({
  $schema: DRAFT,
  type: "object",
  properties,
  required,
  additionalProperties: false,
});

// Shapes copied from Claude Code's own tool definitions.
const TOOLS: CheckableTool[] = [
  {
    name: "Read",
    input_schema: object(
      {
        file_path: { type: "string" },
        offset: { type: "integer", minimum: 0 },
        limit: { type: "integer", exclusiveMinimum: 0 },
        pages: { type: "string" },
      },
      ["file_path"],
    ),
  },
  {
    name: "Write",
    input_schema: object({ file_path: { type: "string" }, content: { type: "string" } }, ["file_path", "content"]),
  },
  {
    name: "Bash",
    input_schema: object({ command: { type: "string" }, timeout: { type: "number" }, run_in_background: { type: "boolean" } }, ["command"]),
  },
  {
    name: "Grep",
    input_schema: object({ pattern: { type: "string" }, path: { type: "string" } }, ["pattern"]),
  },
  {
    name: "WebFetch",
    input_schema: object({ url: { type: "string", format: "uri" }, prompt: { type: "string" } }, ["url", "prompt"]),
  },
  {
    name: "ExitWorktree",
    input_schema: object({ action: { type: "string", enum: ["keep", "remove"] } }, ["action"]),
  },
  {
    name: "TaskUpdate",
    input_schema: object(
      {
        taskId: { type: "string" },
        status: {
          anyOf: [
            { type: "string", enum: ["pending", "in_progress", "completed"] },
            { type: "string", const: "deleted" },
          ],
        },
        addBlocks: { type: "array", items: { type: "string" } },
        metadata: { type: "object", additionalProperties: {} },
      },
      ["taskId"],
    ),
  },
  {
    name: "ReportFindings",
    input_schema: object(
      {
        findings: {
          type: "array",
          items: object({ file: { type: "string" }, line: { type: "integer" }, summary: { type: "string" } }, ["file", "summary"]),
        },
      },
      ["findings"],
    ),
  },
];

const parsed = (name: string, args: Record<string, unknown>, untyped = true): ParsedToolCall => ({
  name,
  arguments: args,
  untyped,
  raw: "<raw>",
});

describe("checkToolCall", () => {
  it("accepts a valid call and coerces untyped values", () => {
    expect(checkToolCall(parsed("Read", { file_path: "/a.ts", offset: "10", limit: "20" }), TOOLS)).toEqual({
      ok: true,
      name: "Read",
      input: { file_path: "/a.ts", offset: 10, limit: 20 },
    });
  });

  it.each([
    ["read", "Read"],
    ["BASH", "Bash"],
    ["read_file", "Read"],
    ["readFile", "Read"],
    ["write_file", "Write"],
    ["run_command", "Bash"],
    ["shell", "Bash"],
    ["search", "Grep"],
    ["web-fetch", "WebFetch"],
    ["functions.Read", "Read"],
  ])("maps the model's name %s to %s", (name, expected) => {
    expect(resolveToolName(name, TOOLS)?.name).toBe(expected);
  });

  it("reports an unknown tool with the available names", () => {
    expect(checkToolCall(parsed("list_files", {}), TOOLS.slice(0, 3))).toEqual({
      ok: false,
      reason: 'Tool "list_files" does not exist; the available tools are Read, Write, Bash',
    });
    expect(checkToolCall(parsed("Read", {}), [])).toEqual({
      ok: false,
      reason: 'Tool "Read" does not exist: the request offers no tools',
    });
  });

  it("runs a call without the arguments its tool does not have, where the rest is valid (its schema allows no others)", () => {
    // A small model gave Glob the glob and output_mode of the Grep it had just called.
    expect(checkToolCall(parsed("Read", { file_path: "/a", path: "/b", output_mode: "count" }), TOOLS)).toEqual({
      ok: true,
      name: "Read",
      input: { file_path: "/a" },
    });
  });

  it("uses a caller's name map instead of the defaults", () => {
    expect(checkToolCall(parsed("open", { file_path: "/a" }), TOOLS, { open: "Read" })).toMatchObject({
      ok: true,
      name: "Read",
    });
    expect(checkToolCall(parsed("read_file", { file_path: "/a" }), TOOLS, {})).toMatchObject({ ok: false });
    expect(DEFAULT_TOOL_NAME_ALIASES["glob"]).toBe("Glob");
  });

  it.each([
    ["a missing property", parsed("Write", { file_path: "/a" }), 'Tool call to "Write" is missing required property "content"'],
    [
      "two missing properties",
      parsed("Write", {}),
      'Tool call to "Write" is missing required property "file_path", and is missing required property "content"',
    ],
    [
      "an unknown property, with a required one missing",
      parsed("Read", { path: "/b" }),
      'Tool call to "Read" is missing required property "file_path", and has unknown property "path" (known properties: file_path, offset, limit, pages)',
    ],
    ["a wrong type", parsed("Read", { file_path: "/a", limit: "ten" }), 'Tool call to "Read" has property "limit" of type string where integer is expected'],
    ["a bound", parsed("Read", { file_path: "/a", offset: "-1" }), 'Tool call to "Read" has property "offset" that must be >= 0'],
    [
      "an enum",
      parsed("ExitWorktree", { action: "delete" }),
      'Tool call to "ExitWorktree" has property "action" set to "delete" where one of "keep", "remove" is expected',
    ],
    [
      "an anyOf of enums",
      parsed("TaskUpdate", { taskId: "1", status: "done" }),
      'Tool call to "TaskUpdate" has property "status" set to "done" where one of "pending", "in_progress", "completed", "deleted" is expected',
    ],
    [
      "a nested object",
      parsed("ReportFindings", { findings: '[{"file": "a.ts", "line": 3}]' }),
      'Tool call to "ReportFindings" is missing required property "summary" in "findings/0"',
    ],
    [
      "a list that is not an array",
      parsed("TaskUpdate", { taskId: "1", addBlocks: "t2" }),
      'Tool call to "TaskUpdate" has property "addBlocks" of type string where array is expected',
    ],
  ])("explains %s in one sentence", (_, call, reason) => {
    expect(checkToolCall(call, TOOLS)).toEqual({ ok: false, reason });
  });

  it("does not check formats, which Claude Code checks itself", () => {
    expect(checkToolCall(parsed("WebFetch", { url: "example.com/x", prompt: "sum up" }), TOOLS)).toMatchObject({ ok: true });
  });

  it("decodes object arguments a typed call sent as a JSON string", () => {
    const call = parsed("TaskUpdate", { taskId: "1", metadata: '{"k": [1, 2]}' }, false);
    expect(checkToolCall(call, TOOLS)).toEqual({
      ok: true,
      name: "TaskUpdate",
      input: { taskId: "1", metadata: { k: [1, 2] } },
    });
  });

  it("accepts draft-07 schemas and reuses compiled validators from the cache", () => {
    const cache = createToolSchemaCache();
    const tools = [
      {
        name: "Old",
        input_schema: {
          $schema: "http://json-schema.org/draft-07/schema#",
          $id: "old",
          type: "object",
          properties: { n: { type: "integer" } },
        },
      },
    ];
    expect(checkToolCall(parsed("Old", { n: "1" }), tools, undefined, cache)).toEqual({
      ok: true,
      name: "Old",
      input: { n: 1 },
    });
    expect(checkToolCall(parsed("Old", { n: "x" }), tools, undefined, cache)).toMatchObject({ ok: false });
    expect(cache.validators.size).toBe(1);
  });

  it("keeps a bounded number of compiled schemas, and Ajv none of its own, however many clients' tools it sees", () => {
    const cache = createToolSchemaCache();
    const ajvSchemas = () => (cache.ajv as unknown as { _cache: Map<unknown, unknown> })._cache.size;
    checkToolCall(parsed("T0", { n: "1" }), [{ name: "T0", input_schema: { type: "object" } }], undefined, cache);
    const baseline = ajvSchemas(); // Ajv's meta-schemas
    for (let i = 0; i < 1000; i++) {
      const tools = [{ name: `T${i}`, input_schema: { type: "object", properties: { [`p${i}`]: { type: "integer" } }, required: [`p${i}`] } }];
      expect(checkToolCall(parsed(`T${i}`, { [`p${i}`]: "7" }), tools, undefined, cache)).toMatchObject({ ok: true, input: { [`p${i}`]: 7 } });
      expect(checkToolCall(parsed(`T${i}`, {}), tools, undefined, cache)).toMatchObject({ ok: false });
    }
    expect(cache.validators.size).toBe(256);
    expect(ajvSchemas()).toBe(baseline);
  });

  it("warms a cache (Ajv and a first compile's cost) without keeping any tool's schema", () => {
    const cache = createToolSchemaCache();
    const ajvSchemas = () => (cache.ajv as unknown as { _cache: Map<unknown, unknown> })._cache.size;
    warmToolSchemaCache(cache);
    const warmed = ajvSchemas();
    expect(cache.validators.size).toBe(0);
    const tools = [{ name: "Write", input_schema: object({ file_path: { type: "string" } }, ["file_path"]) }];
    expect(checkToolCall(parsed("Write", {}), tools, undefined, cache)).toMatchObject({ ok: false });
    expect(ajvSchemas()).toBe(warmed); // the meta-schema check is precompiled: nothing of it is left to build in an answer
  });

  it("passes a call through, flagged, when the tool's own schema cannot be compiled", () => {
    const tools = [{ name: "Broken", input_schema: { type: "object", properties: { a: { type: "strng" } } } }];
    const result = checkToolCall(parsed("Broken", { a: "1" }), tools);
    expect(result).toMatchObject({ ok: true, name: "Broken", input: { a: "1" } });
    expect(result.ok && result.schemaProblem).toMatch(/^the input_schema of "Broken" cannot be compiled: /);
  });
});
