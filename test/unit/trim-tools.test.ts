import { beforeAll, describe, expect, it } from "vitest";
import type { CompiledToolPolicy } from "../../src/compile/routing-table.js";
import { coerceToolArguments } from "../../src/tools/coerce-tool-arguments.js";
import { createToolCallParser } from "../../src/tools/parsers/index.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { AnthropicCustomTool, AnthropicTool } from "../../src/translate/anthropic-types.js";
import { renderXmlToolCall } from "../../src/translate/render-xml-tool-call.js";
import { buildToolsTemplateContext } from "../../src/trim/build-template-contexts.js";
import { shapeTools } from "../../src/trim/shape-tools.js";
import { shortenDescription, simplifyToolSchema } from "../../src/trim/simplify-tool-schema.js";
import { describeWithShared, hasSharedDir } from "../helpers/shared-dir.js";
import { compileShipped, loadCapture, loadTemplatesFrom } from "../helpers/trim-helpers.js";

// Claude Code's own tool definitions; the suites that use them are skipped without ../shared.
const captured = hasSharedDir ? (loadCapture("main-request-2plus2.json").tools as AnthropicCustomTool[]) : [];
const tool = (name: string) => captured.find((t) => t.name === name)!;

describeWithShared("simplifyToolSchema", () => {
  it("drops $schema, additionalProperties:false and zod's ±2^53-1 bounds, keeping every property, type, bound and required", () => {
    expect(simplifyToolSchema(tool("Read").input_schema)).toEqual({
      type: "object",
      properties: {
        file_path: { description: "The absolute path to the file to read", type: "string" },
        offset: { description: "The line number to start reading from. Only provide if the file is too large to read at once", type: "integer", minimum: 0 },
        limit: { description: "The number of lines to read. Only provide if the file is too large to read at once.", type: "integer", exclusiveMinimum: 0 },
        pages: { description: 'Page range for PDF files (e.g., "1-5", "3", "10-20"). Only applicable to PDF files. Maximum 20 pages per request.', type: "string" },
      },
      required: ["file_path"],
    });
  });

  it("cuts long property descriptions to their first paragraph (≤ 200 chars) and recurses into every subschema", () => {
    const bash = simplifyToolSchema(tool("Bash").input_schema) as { properties: Record<string, { description: string }> };
    expect(Object.keys(bash.properties)).toEqual(["command", "timeout", "description", "run_in_background", "dangerouslyDisableSandbox"]);
    expect(bash.properties.description?.description).toBe('Clear, concise description of what this command does in active voice. Never use words like "complex" or "risk" in the description - just describe what it does.');
    const nested = {
      $schema: "x",
      type: "object",
      title: "Noise",
      properties: {
        title: { type: "string", title: "kept as a property name", examples: ["a"] },
        items: { type: "array", items: { type: "object", additionalProperties: false, properties: { mode: { enum: ["a", "b"], default: "a" } } } },
        either: { anyOf: [{ type: "string", $comment: "c" }, { type: "null" }] },
        extra: { type: "object", additionalProperties: { type: "string", examples: [1] } },
      },
      required: ["title"],
      additionalProperties: false,
    };
    expect(simplifyToolSchema(nested)).toEqual({
      type: "object",
      properties: {
        title: { type: "string" },
        items: { type: "array", items: { type: "object", properties: { mode: { enum: ["a", "b"], default: "a" } } } },
        either: { anyOf: [{ type: "string" }, { type: "null" }] },
        extra: { type: "object", additionalProperties: { type: "string" } },
      },
      required: ["title"],
    });
  });
});

describe("shortenDescription", () => {
  it("keeps the first paragraph, then cuts at a word with an ellipsis", () => {
    expect(shortenDescription("First line.\nstill first.\n\nSecond paragraph.", undefined)).toBe("First line.\nstill first.");
    expect(shortenDescription("one two three four five six", 14)).toBe("one two three…");
    expect(shortenDescription("one two\n\nthree", 100, false)).toBe("one two\n\nthree");
  });
});

describeWithShared("shapeTools", () => {
  const policy: CompiledToolPolicy = { allow: ["Read", "Write", "Edit", "Bash", "Grep", "Glob"], stubDescriptions: true, maxDescriptionChars: 30, simplifySchemas: true };

  it("keeps allowed tools in request order (absent ones are fine), stubbed and simplified; reports each cut", () => {
    const shaped = shapeTools(captured, policy, undefined);
    expect(shaped.tools.map((t) => t.name)).toEqual(["Bash", "Edit", "Read", "Write"]);
    expect(shaped.offered).toEqual([tool("Bash"), tool("Edit"), tool("Read"), tool("Write")]);
    expect((shaped.tools[3] as AnthropicCustomTool).description).toBe("Writes a file to the local…");
    expect(shaped.hits.filter((h) => h.rule === "tool-allowlist")).toHaveLength(20);
    expect(shaped.hits.filter((h) => h.target === "tools.Write")).toEqual([
      { rule: "tool-description", target: "tools.Write", charsRemoved: tool("Write").description!.length - 27 },
      { rule: "tool-schema", target: "tools.Write", charsRemoved: 86 },
    ]);
  });

  it("an absent allowlist keeps every tool; a tool that tool_choice forces is always kept", () => {
    expect(shapeTools(captured, { stubDescriptions: false, simplifySchemas: false }, undefined)).toEqual({ tools: captured, offered: captured, hits: [] });
    expect(shapeTools(captured, policy, { type: "tool", name: "WebFetch" }).tools.map((t) => t.name)).toEqual(["Bash", "Edit", "Read", "WebFetch", "Write"]);
  });

  it("passes allowed server tools through untouched and never offers them", () => {
    const server: AnthropicTool = { type: "web_search_20250305", name: "web_search", max_uses: 3 };
    const shaped = shapeTools([server, tool("Read")], { allow: ["web_search", "Read"], stubDescriptions: true, simplifySchemas: true }, undefined);
    expect(shaped.tools[0]).toBe(server);
    expect(shaped.offered.map((t) => t.name)).toEqual(["Read"]);
  });
});

describe("xml tool mode: the tools template and the calls parsed back", () => {
  let templates: Templates;
  beforeAll(async () => {
    templates = await loadTemplatesFrom(compileShipped().templatesJs);
  });

  it("describes each parameter with its type, required flag, description and allowed values", () => {
    const context = buildToolsTemplateContext(
      [{ name: "T", description: "d", input_schema: { type: "object", properties: { mode: { type: "string", enum: ["a", "b"] }, paths: { type: "array", items: { type: "string" } }, n: { type: ["integer", "null"] }, any: {} }, required: ["mode"] } }],
      "mallex-xml",
    );
    expect(context).toEqual({
      format: "mallex-xml",
      tools: [
        {
          name: "T",
          description: "d",
          input_schema_json: '{"properties":{"any":{},"mode":{"enum":["a","b"],"type":"string"},"n":{"type":["integer","null"]},"paths":{"items":{"type":"string"},"type":"array"}},"required":["mode"],"type":"object"}',
          parameters: [
            { name: "mode", type: "string", description: "", required: true, enum_values: ["a", "b"] },
            { name: "paths", type: "array of string", description: "", required: false, enum_values: [] },
            { name: "n", type: "integer or null", description: "", required: false, enum_values: [] },
            { name: "any", type: "any", description: "", required: false, enum_values: [] },
          ],
        },
      ],
    });
    const prompt = templates.render("tools-xml", context);
    expect(prompt).toContain("## T\nd\nArguments:\n- mode (string, required) One of: a, b.\n- paths (array of string)\n- n (integer or null)\n- any (any)\n");
  });

  describeWithShared("on Claude Code's Edit tool", () => {
    it("the call format the prompt teaches is the one renderXmlToolCall writes and the mallex-xml parser reads", () => {
      const shaped = shapeTools([tool("Edit")], { stubDescriptions: true, simplifySchemas: true }, undefined);
      const prompt = templates.render("tools-xml", buildToolsTemplateContext(shaped.tools as AnthropicCustomTool[], "mallex-xml"));
      expect(prompt).toContain('<invoke name="TOOL_NAME">\n<parameter name="ARGUMENT_NAME">value</parameter>\n</invoke>');
      const input = { file_path: "/repo/a.ts", old_string: "a <b> & c", new_string: "d\n  e", replace_all: true };
      const written = renderXmlToolCall("Edit", input);
      const taught = prompt.slice(prompt.indexOf("<invoke"), prompt.indexOf("</invoke>") + "</invoke>".length);
      expect(taught.replace("TOOL_NAME", "Read").replace("ARGUMENT_NAME", "file_path").replace("value", "/a")).toBe(renderXmlToolCall("Read", { file_path: "/a" }));
      const parser = createToolCallParser("mallex-xml");
      const events = [...parser.feed(`Sure.\n${written}`), ...parser.end()];
      const call = events.find((e) => e.type === "tool_call");
      expect(call?.type === "tool_call" && call.call.name).toBe("Edit");
      if (call?.type !== "tool_call") throw new Error("no call parsed");
      expect(coerceToolArguments(call.call.arguments, tool("Edit").input_schema)).toEqual(input);
    });
  });
});
