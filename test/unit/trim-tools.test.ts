import { beforeAll, describe, expect, it } from "vitest";
import { globToRegex } from "../../src/compile/glob-to-regex.js";
import type { CompiledToolPolicy, RoutingTable } from "../../src/compile/routing-table.js";
import { coerceToolArguments } from "../../src/tools/coerce-tool-arguments.js";
import { createToolCallParser } from "../../src/tools/parsers/index.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { AnthropicCustomTool, AnthropicTool, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { renderXmlToolCall } from "../../src/translate/tool-calls/render-xml-tool-call.js";
import { buildToolsTemplateContext } from "../../src/trim/system-prompt/build-template-contexts.js";
import { CLAUDE_CODE_TOOLS } from "../../src/shared/claude-code-tools.js";
import { shapeTools, type ShapedTools, shortenDescription, simplifyToolSchema } from "../../src/trim/shape-tools.js";
import { describeClientTools, describeTrimRules } from "../../src/trim/summarize-trim-report.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import type { TrimReport } from "../../src/trim/trim-types.js";
import { describeWithShared, hasSharedDir } from "../helpers/shared-dir.js";
import { compileShipped, loadCapture, loadTemplatesFrom, testPlan, testProfile } from "../helpers/trim-helpers.js";

// Claude Code's own tool definitions; the suites that use them are skipped without ../shared.
const captured = hasSharedDir ? (loadCapture("main-request-2plus2.json").tools as AnthropicCustomTool[]) : [];
const tool = (name: string) => captured.find((t) => t.name === name)!;

/** A tool policy that does nothing but what the case sets. */
const toolPolicy = (overrides: Partial<CompiledToolPolicy> = {}): CompiledToolPolicy => ({
  drop: [],
  stubDescriptions: false,
  stubClientDescriptions: false,
  simplifySchemas: false,
  ...overrides,
});

describeWithShared("simplifyToolSchema", () => {
  it("drops $schema, additionalProperties:false and zod's ±2^53-1 bounds, keeping every property, type, bound and required", () => {
    expect(simplifyToolSchema(tool("Read").input_schema)).toEqual({
      type: "object",
      properties: {
        file_path: { description: "The absolute path to the file to read", type: "string" },
        offset: { description: "The line number to start reading from. Only provide if the file is too large to read at once", type: "integer", minimum: 0 },
        limit: { description: "The number of lines to read. Only provide if the file is too large to read at once.", type: "integer", exclusiveMinimum: 0 },
        pages: {
          description: 'Page range for PDF files (e.g., "1-5", "3", "10-20"). Only applicable to PDF files. Maximum 20 pages per request.',
          type: "string",
        },
      },
      required: ["file_path"],
    });
  });

  it("cuts long property descriptions to their first paragraph (≤ 200 chars) and recurses into every subschema", () => {
    const bash = simplifyToolSchema(tool("Bash").input_schema) as { properties: Record<string, { description: string }> };
    expect(Object.keys(bash.properties)).toEqual(["command", "timeout", "description", "run_in_background", "dangerouslyDisableSandbox"]);
    expect(bash.properties.description?.description).toBe(
      'Clear, concise description of what this command does in active voice. Never use words like "complex" or "risk" in the description - just describe what it does.',
    );
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

  it("over the length, ends at a whole sentence, else a clause outside parentheses, where one ends past a third of it", () => {
    expect(shortenDescription("The line number to start reading from. Only provide if the file is too large to read at once", 60)).toBe(
      "The line number to start reading from.",
    );
    expect(shortenDescription("The absolute path to the file to write (must be absolute, not relative)", 60)).toBe("The absolute path to the file to write");
    expect(shortenDescription("The directory to search in. If not specified, the current working directory is used", 60)).toBe("The directory to search in.");
    // Not a full stop: a regex's dot, an abbreviation inside parentheses.
    expect(shortenDescription("Enable multiline mode where . matches newlines and patterns can span lines", 60)).toBe(
      "Enable multiline mode where . matches newlines and patterns…",
    );
    expect(shortenDescription('Glob pattern to filter files (e.g. "*.js") - maps to rg --glob', 45)).toBe('Glob pattern to filter files (e.g. "*.js")');
    // No end past a third: the word cut.
    expect(shortenDescription("Short. then a very long run of words without any stop at all", 30)).toBe("Short. then a very long run…");
  });

  it('stub "sentence": the first sentence, or the first line (a list\'s first item without its dash)', () => {
    expect(shortenDescription("Reads a file from the local filesystem. You can access any file directly.\nAssume it works.", 400, "sentence")).toBe(
      "Reads a file from the local filesystem.",
    );
    expect(shortenDescription("- Fast file pattern matching tool that works with any codebase size\n- Supports glob patterns", 400, "sentence")).toBe(
      "Fast file pattern matching tool that works with any codebase size",
    );
    expect(shortenDescription("Runs a command (e.g. ls) and returns its output. Then more.", 400, "sentence")).toBe(
      "Runs a command (e.g. ls) and returns its output.",
    );
  });
});

describeWithShared("shapeTools", () => {
  const policy = toolPolicy({
    allow: ["Read", "Write", "Edit", "Bash", "Grep", "Glob"],
    stubDescriptions: true,
    maxDescriptionChars: 30,
    simplifySchemas: true,
  });

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
    expect(shapeTools(captured, toolPolicy(), undefined)).toEqual({ tools: captured, offered: captured, client: [], newBuiltIns: [], hits: [] });
    expect(shapeTools(captured, policy, { type: "tool", name: "WebFetch" }).tools.map((t) => t.name)).toEqual(["Bash", "Edit", "Read", "WebFetch", "Write"]);
  });

  it("the shipped small policy offers Read with its file_path alone (a small model passed limit 1 to every read); medium keeps offset and limit; the model's call is still checked against the whole tool", () => {
    const shipped = compileShipped().table;
    const properties = (size: "small" | "medium") => {
      const shaped = shapeTools(captured, shipped.tools[size], undefined);
      const read = shaped.tools.find((t) => t.name === "Read") as AnthropicCustomTool;
      return { offered: Object.keys(read.input_schema.properties as object), checked: shaped.offered.find((t) => t.name === "Read") };
    };
    expect(properties("small").offered).toEqual(["file_path"]);
    expect(properties("small").checked).toEqual(tool("Read"));
    expect(properties("medium").offered).toEqual(["file_path", "offset", "limit"]);
  });

  it("passes allowed server tools through untouched and never offers them", () => {
    const server: AnthropicTool = { type: "web_search_20250305", name: "web_search", max_uses: 3 };
    const shaped = shapeTools([server, tool("Read")], toolPolicy({ allow: ["Read"], stubDescriptions: true, simplifySchemas: true }), undefined);
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
      [
        {
          name: "T",
          description: "d",
          input_schema: {
            type: "object",
            properties: {
              mode: { type: "string", enum: ["a", "b"] },
              paths: { type: "array", items: { type: "string" } },
              n: { type: ["integer", "null"] },
              any: {},
            },
            required: ["mode"],
          },
        },
      ],
      "mallex-xml",
    );
    expect(context).toEqual({
      format: "mallex-xml",
      tools: [
        {
          name: "T",
          description: "d",
          input_schema_json:
            '{"properties":{"any":{},"mode":{"enum":["a","b"],"type":"string"},"n":{"type":["integer","null"]},"paths":{"items":{"type":"string"},"type":"array"}},"required":["mode"],"type":"object"}',
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
      const shaped = shapeTools([tool("Edit")], toolPolicy({ stubDescriptions: true, simplifySchemas: true }), undefined);
      const prompt = templates.render("tools-xml", buildToolsTemplateContext(shaped.tools as AnthropicCustomTool[], "mallex-xml"));
      expect(prompt).toContain('<invoke name="TOOL_NAME">\n<parameter name="ARGUMENT_NAME">value</parameter>\n</invoke>');
      const input = { file_path: "/repo/a.ts", old_string: "a <b> & c", new_string: "d\n  e", replace_all: true };
      const written = renderXmlToolCall("Edit", input);
      const taught = prompt.slice(prompt.indexOf("<invoke"), prompt.indexOf("</invoke>") + "</invoke>".length);
      expect(taught.replace("TOOL_NAME", "Read").replace("ARGUMENT_NAME", "file_path").replace("value", "/a")).toBe(
        renderXmlToolCall("Read", { file_path: "/a" }),
      );
      const parser = createToolCallParser("mallex-xml");
      const events = [...parser.feed(`Sure.\n${written}`), ...parser.end()];
      const call = events.find((e) => e.type === "tool_call");
      expect(call?.type === "tool_call" && call.call.name).toBe("Edit");
      if (call?.type !== "tool_call") throw new Error("no call parsed");
      expect(coerceToolArguments(call.call.arguments, tool("Edit").input_schema)).toEqual(input);
    });
  });
});

describe("shapeTools: the allowlist is for Claude Code's built-in tools; a client's own tools are kept", () => {
  const schema = {
    $schema: "http://json-schema.org/draft-07/schema#",
    type: "object",
    properties: { id: { type: "string", description: "Ticket id, e.g. OPS-12" } },
    required: ["id"],
    additionalProperties: false,
  };
  const clientTool = (name: string, description = "Looks up a ticket by id.\n\nReturns its title, status and assignee."): AnthropicCustomTool => ({
    name,
    description,
    input_schema: schema,
  });
  const lookup = clientTool("mcp__tickets__lookup_ticket");
  const searchDocs = clientTool("search_docs", "Searches the team's docs.\n\nUse it before answering questions about the product.");
  const builtIns = ["Read", "Write", "WebFetch", "Agent"].map((name) => clientTool(name, `${name}: the built-in.\n\nLong usage notes.`));
  const request: AnthropicTool[] = [builtIns[0]!, lookup, builtIns[1]!, builtIns[2]!, searchDocs, builtIns[3]!];
  let shipped: RoutingTable;
  beforeAll(() => {
    shipped = compileShipped().table;
  });

  it("keeps an MCP tool and an unknown client tool on the shipped small and medium policies, dropping the built-ins each leaves out", () => {
    const small = shapeTools(request, shipped.tools.small, undefined);
    expect(small.tools.map((t) => t.name)).toEqual(["Read", "mcp__tickets__lookup_ticket", "Write", "search_docs"]);
    expect(small.client).toEqual(["mcp__tickets__lookup_ticket", "search_docs"]);
    expect(small.hits.filter((h) => h.rule === "tool-allowlist").map((h) => h.target)).toEqual(["tools.WebFetch", "tools.Agent"]);
    const medium = shapeTools(request, shipped.tools.medium, undefined);
    expect(medium.tools.map((t) => t.name)).toEqual(["Read", "mcp__tickets__lookup_ticket", "Write", "WebFetch", "search_docs"]);
    expect(medium.offered).toEqual(request.filter((t) => t.name !== "Agent"));
    expect(shapeTools(request, shipped.tools.large, undefined).tools).toEqual(request);
  });

  it("stubs only the built-ins' descriptions, unless stub_client_descriptions; max_description_chars and schema simplification apply to every tool, reported as before", () => {
    const shaped = shapeTools([builtIns[0]!, lookup], toolPolicy({ stubDescriptions: true, simplifySchemas: true }), undefined);
    const [read, mcp] = shaped.tools as AnthropicCustomTool[];
    expect(read?.description).toBe("Read: the built-in.");
    expect(mcp?.description).toBe(lookup.description);
    expect(mcp?.input_schema).toEqual({ type: "object", properties: { id: { type: "string", description: "Ticket id, e.g. OPS-12" } }, required: ["id"] });
    expect(shaped.hits.map((h) => `${h.rule} ${h.target}`)).toEqual([
      "tool-description tools.Read",
      "tool-schema tools.Read",
      "tool-schema tools.mcp__tickets__lookup_ticket",
    ]);

    const capped = shapeTools([lookup], toolPolicy({ stubDescriptions: true, maxDescriptionChars: 30 }), undefined);
    expect((capped.tools[0] as AnthropicCustomTool).description).toBe("Looks up a ticket by id.");
    expect(capped.hits).toEqual([{ rule: "tool-description", target: "tools.mcp__tickets__lookup_ticket", charsRemoved: lookup.description!.length - 24 }]);

    const stubbed = shapeTools([lookup], toolPolicy({ stubClientDescriptions: true }), undefined);
    expect((stubbed.tools[0] as AnthropicCustomTool).description).toBe("Looks up a ticket by id.");
  });

  it("drops any tool a drop glob names, built-in or not, reported as tool-drop", () => {
    const policy = toolPolicy({
      allow: ["Read", "Write"],
      drop: [
        { glob: "mcp__tickets__*", pattern: globToRegex("mcp__tickets__*") },
        { glob: "Write", pattern: globToRegex("Write") },
      ],
    });
    const shaped = shapeTools(request, policy, undefined);
    expect(shaped.tools.map((t) => t.name)).toEqual(["Read", "search_docs"]);
    expect(shaped.client).toEqual(["search_docs"]);
    expect(shaped.hits).toEqual([
      { rule: "tool-drop", target: "tools.mcp__tickets__lookup_ticket", charsRemoved: JSON.stringify(lookup).length },
      { rule: "tool-drop", target: "tools.Write", charsRemoved: JSON.stringify(builtIns[1]).length },
      { rule: "tool-allowlist", target: "tools.WebFetch", charsRemoved: JSON.stringify(builtIns[2]).length },
      { rule: "tool-allowlist", target: "tools.Agent", charsRemoved: JSON.stringify(builtIns[3]).length },
    ]);
    expect(describeTrimRules(report(shaped))).toBe(
      `tool-drop ×2 −${number(shaped.hits[0]!.charsRemoved + shaped.hits[1]!.charsRemoved)} · tool-allowlist ×2 −${number(shaped.hits[2]!.charsRemoved + shaped.hits[3]!.charsRemoved)} · client tools: search_docs`,
    );
  });

  it("keeps a tool that tool_choice forces, even one a drop glob or the allowlist removes", () => {
    const policy = toolPolicy({ allow: ["Read"], drop: [{ glob: "mcp__*", pattern: globToRegex("mcp__*") }] });
    expect(shapeTools(request, policy, { type: "tool", name: "mcp__tickets__lookup_ticket" }).tools.map((t) => t.name)).toEqual([
      "Read",
      "mcp__tickets__lookup_ticket",
      "search_docs",
    ]);
    expect(shapeTools(request, policy, { type: "tool", name: "Agent" }).tools.map((t) => t.name)).toEqual(["Read", "search_docs", "Agent"]);
  });

  it("is deterministic and per tool: the same tools shape to the same bytes, and a tool added later leaves the earlier ones' bytes alone", () => {
    const first = shapeTools(request, shipped.tools.small, undefined);
    expect(JSON.stringify(shapeTools(structuredClone(request), shipped.tools.small, undefined))).toBe(JSON.stringify(first));
    const more = shapeTools([...request, clientTool("mcp__tickets__close_ticket")], shipped.tools.small, undefined);
    expect(JSON.stringify(more.tools).startsWith(JSON.stringify(first.tools).slice(0, -1))).toBe(true);
    expect(request[1]).toEqual(clientTool("mcp__tickets__lookup_ticket")); // the input is never changed
  });

  it("trimRequest offers the MCP tool in xml mode's prompt and natively, and reports it as a client tool", async () => {
    const templates = await loadTemplatesFrom(compileShipped().templatesJs);
    const messages: MessagesRequest["messages"] = [{ role: "user", content: "what is the status of OPS-12?" }];
    const body: MessagesRequest = { model: "m", max_tokens: 100, messages, tools: request };
    const xml = trimRequest(body, testPlan({ profile: testProfile({ toolMode: "xml", size: "small" }), tools: shipped.tools.small }), templates);
    expect(xml.request.tools).toBeUndefined();
    expect(JSON.stringify(xml.request.system)).toContain("## mcp__tickets__lookup_ticket\\nLooks up a ticket by id.");
    expect(xml.report.tools).toEqual({
      mode: "xml",
      offered: ["Read", "mcp__tickets__lookup_ticket", "Write", "search_docs"],
      client: ["mcp__tickets__lookup_ticket", "search_docs"],
    });
    const native = trimRequest(body, testPlan({ tools: shipped.tools.small }), templates);
    expect(native.request.tools?.map((t) => t.name)).toEqual(["Read", "mcp__tickets__lookup_ticket", "Write", "search_docs"]);
    expect(native.offeredTools.map((t) => t.name)).toEqual(["Read", "mcp__tickets__lookup_ticket", "Write", "search_docs"]);
    // The next turn's request trims to the same tools and system prompt: the upstream prefix holds.
    const next = trimRequest(
      { ...body, messages: [...messages, { role: "assistant", content: "Let me look." }, { role: "user", content: "and OPS-13?" }] },
      testPlan({ profile: testProfile({ toolMode: "xml", size: "small" }), tools: shipped.tools.small }),
      templates,
    );
    expect(JSON.stringify(next.request.system)).toBe(JSON.stringify(xml.request.system));
  });
});

describe("describeClientTools", () => {
  it("names each client tool, an MCP server's several tools as one glob with a count, at most four entries", () => {
    expect(describeClientTools(["mcp__tickets__lookup_ticket"])).toBe("mcp__tickets__lookup_ticket");
    expect(describeClientTools(["mcp__github__a", "search_docs", "mcp__github__b", "mcp__tickets__lookup_ticket"])).toBe(
      "mcp__github__* ×2, search_docs, mcp__tickets__lookup_ticket",
    );
    expect(describeClientTools(["a", "b", "c", "d", "e", "f"])).toBe("a, b, c, d +2 more");
  });

  it("knows DesignSync, a built-in 2.1.197's interactive sessions send where non-essential traffic is allowed (issue 49: placed by no rule)", () => {
    const designSync: AnthropicCustomTool = { name: "DesignSync", description: "Syncs designs.", input_schema: { type: "object", properties: {} } };
    const shaped = shapeTools([designSync], toolPolicy({ allow: ["Read"] }), undefined, { claudeCode: true, loaded: new Set() });
    expect(shaped.newBuiltIns).toEqual([]);
    expect(shaped.hits.map((hit) => hit.rule)).toEqual(["tool-allowlist"]);
  });

  it("every name in CLAUDE_CODE_TOOLS is a plain tool name, none of them an MCP tool", () => {
    for (const name of CLAUDE_CODE_TOOLS) expect(name).toMatch(/^[A-Z][A-Za-z]+$/);
    if (hasSharedDir) for (const t of captured) expect(CLAUDE_CODE_TOOLS.has(t.name), t.name).toBe(true);
  });
});

const number = (n: number) => n.toLocaleString("en-US");
const report = (shaped: ShapedTools): TrimReport => ({
  rules: shaped.hits,
  before: { chars: 0, tokens: 0 },
  after: { chars: 0, tokens: 0 },
  system: { mode: "passthrough", reason: "test" },
  tools: { mode: "native", offered: shaped.offered.map((t) => t.name), client: shaped.client },
  prefixTokens: 0,
  user: [],
});

describe("shapeTools: the user's own agents in a built-in's description are kept whole (issue 49)", () => {
  // 2.1.100's Agent tool lists the agents in its description, Claude Code's and the user's.
  const tester = "tester: Writes the tests a change needs and runs them until they pass. (Tools: Read, Grep, Glob, Edit, Bash)";
  const agent: AnthropicCustomTool = {
    name: "Agent",
    description: [
      "Launch a new agent to handle complex, multi-step tasks autonomously.",
      "",
      "Available agent types and the tools they have access to:",
      "- general-purpose: General-purpose agent for researching complex questions. (Tools: *)",
      `- ${tester}`,
      "",
      "When using the Agent tool, specify a subagent_type parameter to select which agent type to use.",
    ].join("\n"),
    input_schema: { type: "object", properties: { prompt: { type: "string" } }, required: ["prompt"] },
  };
  const bash: AnthropicCustomTool = { name: "Bash", description: "Runs a command.", input_schema: { type: "object", properties: {} } };

  it("a stub, a length cap and a removed tool named in the agent's line take Claude Code's text, and the user's agent goes on word for word", () => {
    const shaped = shapeTools([agent, bash], toolPolicy({ allow: ["Agent"], stubDescriptions: "sentence", maxDescriptionChars: 80 }), undefined, {
      claudeCode: true,
      loaded: new Set(),
    });
    expect(shaped.tools.map((t) => t.name)).toEqual(["Agent"]);
    expect((shaped.tools[0] as AnthropicCustomTool).description).toBe(
      `Launch a new agent to handle complex, multi-step tasks autonomously.\n\nAvailable agent types and the tools they have access to:\n- ${tester}`,
    );
  });

  it("a description that kept the user's agent is left as shortened", () => {
    const shaped = shapeTools([agent], toolPolicy({ maxDescriptionChars: 10_000 }), undefined, { claudeCode: true, loaded: new Set() });
    expect((shaped.tools[0] as AnthropicCustomTool).description).toBe(agent.description);
  });
});
