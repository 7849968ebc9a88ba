/**
 * Claude Code 2.1.330's tool search through the proxy to a local OpenAI server: deferred tools
 * (`defer_loading: true`), ToolSearch's `tool_reference` answers and mid-conversation tool changes
 * (`tool_addition` / `tool_removal` in a system message, accepted; what they become is in
 * test/unit/translate-request.test.ts). OpenAI servers refuse Anthropic-only tool fields ("Unknown
 * parameter: tools.defer_loading"): none may reach them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createFakeMlxServer, type FakeMlxServer } from "./fakes/mlx-lm-server.js";
import { createTestProxy } from "./helpers/test-proxy.js";

let mlx: FakeMlxServer;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: () => ({ text: "Fetched." }) });
});
afterAll(() => mlx.close());

const schema = { type: "object", properties: { url: { type: "string" } }, required: ["url"] };
/** Claude Code's tools with tool search on, every Anthropic-only field set somewhere. */
const TOOLS = [
  {
    name: "Read",
    description: "Read a file",
    input_schema: { type: "object", properties: { file_path: { type: "string" } } },
    cache_control: { type: "ephemeral" },
  },
  {
    name: "ToolSearch",
    description: "Fetches full schema definitions for deferred tools so they can be called.",
    input_schema: { type: "object", properties: { query: { type: "string" } } },
  },
  {
    name: "DeferredToolPlaceholder",
    description: "Reserved placeholder that keeps deferred tool loading active; never call this tool.",
    input_schema: { type: "object", properties: {} },
    defer_loading: true,
  },
  {
    name: "WebFetch",
    description: "Fetch a URL",
    input_schema: schema,
    defer_loading: true,
    strict: true,
    eager_input_streaming: true,
    input_examples: [{ url: "https://example.com" }],
  },
  { name: "mcp__docs__search", description: "Search the docs", input_schema: schema, defer_loading: true },
];

/** A conversation after ToolSearch loaded WebFetch, and a system message that changed the tools. */
const conversation = [
  { role: "user", content: "fetch example.com" },
  { role: "assistant", content: [{ type: "tool_use", id: "toolu_s", name: "ToolSearch", input: { query: "select:WebFetch" } }] },
  { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_s", content: [{ type: "tool_reference", tool_name: "WebFetch" }] }] },
  {
    role: "system",
    content: [
      {
        type: "tool_addition",
        tool: { type: "tool_definition", definition: { name: "mcp__docs__open", description: "Open a doc", input_schema: schema, defer_loading: true } },
      },
      { type: "tool_removal", tool: { type: "tool_reference", name: "mcp__docs__search" } },
    ],
  },
];

async function send(model: string, messages: unknown[] = conversation) {
  const proxy = createTestProxy({ backendUrl: mlx.url });
  const before = mlx.requests.length;
  const response = await proxy.post(
    "/v1/messages?beta=true",
    { model, max_tokens: 1024, stream: true, tools: TOOLS, messages },
    { "anthropic-beta": "advanced-tool-use-2025-11-20,mid-conversation-tool-changes-2026-07-01" },
  );
  const text = await response.text();
  expect(response.status, text).toBe(200);
  const upstream = mlx.requests.slice(before).find((r) => r.method === "POST")!.body as {
    tools?: Array<Record<string, unknown>>;
    messages: Array<{ role: string; content: unknown }>;
  };
  return { upstream, text };
}

describe("deferred tools and tool changes, translated for an OpenAI server", () => {
  // A medium profile (allowlist, stubbed descriptions) and a large one (Claude Code's tools as they are).
  for (const model of ["claude-opus-4-8", "qwen3-coder-next"]) {
    it(`${model}: no Anthropic-only tool field reaches the server; each tool is name, description and parameters`, async () => {
      const { upstream, text } = await send(model);
      expect(text).toContain("event: message_stop");
      expect(JSON.stringify(upstream)).not.toMatch(/defer_loading|cache_control|eager_input_streaming|input_examples|"strict"/);
      expect(upstream.tools!.length).toBeGreaterThan(0);
      for (const tool of upstream.tools!) {
        expect(Object.keys(tool)).toEqual(["type", "function"]);
        expect(Object.keys(tool.function as object).every((key) => ["name", "description", "parameters"].includes(key))).toBe(true);
      }
    });

    it(`${model}: the tool_result of ToolSearch stays, saying the referenced tool is now available`, async () => {
      const { upstream } = await send(model);
      const toolMessage = upstream.messages.find((m) => m.role === "tool");
      expect(toolMessage).toMatchObject({ tool_call_id: "toolu_s", content: "Tool WebFetch is now available." });
    });
  }

  it("refuses a tool change that names no tool, with the field at fault", async () => {
    const proxy = createTestProxy({ backendUrl: mlx.url });
    const response = await proxy.post("/v1/messages", {
      model: "claude-opus-4-8",
      max_tokens: 1024,
      messages: [
        { role: "user", content: "hi" },
        { role: "system", content: [{ type: "tool_removal", tool: { type: "tool_reference" } }] },
      ],
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { message: string } }).error.message).toMatch(/messages\.1\.content\.0\.tool/);
  });
});
