/** Trimming a Claude Code request by its structure: recognition, built-ins, deferred tools, lists that go with their tools. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { AnthropicCustomTool, MessagesRequest } from "../../src/translate/anthropic-types.js";
import { explainRequest } from "../../src/pipeline/explain-request.js";
import { createPrefixCache } from "../../src/trim/prefix-cache.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { compareVersions } from "../../src/shared/compare-versions.js";
import { recognizeClaudeCode } from "../../src/trim/claude-code/recognize-claude-code.js";
import { dropOptionalParams } from "../../src/trim/shape-tools.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import type { PromptSource } from "../../src/router/describe-request.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

const BILLING = { type: "text" as const, text: "x-anthropic-billing-header: cc_version=2.1.400.abc; cc_entrypoint=cli;" };
const tool = (name: string, extra: Partial<AnthropicCustomTool> = {}): AnthropicCustomTool => ({
  name,
  description: `${name} does things.`,
  input_schema: { type: "object", properties: { x: { type: "string" } } },
  ...extra,
});
const reminder = (text: string) => `<system-reminder>\n${text}\n</system-reminder>\n\n`;

/** A request shaped like a newer Claude Code's: facts in a trailing system message, lists for tools the small tier removes. */
function newerRequest(messages: MessagesRequest["messages"] = []): MessagesRequest {
  return {
    model: "claude-opus-5-5",
    max_tokens: 1000,
    system: [BILLING, { type: "text", text: "You are an agent of a kind no keep rule has heard of." }],
    tools: [
      tool("Read"),
      tool("Agent"),
      tool("Skill"),
      tool("BrandNewBuiltIn"),
      tool("ToolSearch"),
      tool("WebFetch", { defer_loading: true }),
      tool("mcp__tickets__lookup"),
    ],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: reminder("Attribution for git commits: Co-Authored-By: Claude") },
          { type: "text", text: "fix the bug" },
        ],
      },
      {
        role: "system",
        content:
          "# Environment\nYou have been invoked in the following environment: \n - Primary working directory: /repo\n - Platform: linux\n\nAvailable agent types for the Agent tool:\n- statusline-setup: Use this agent to configure the user's Claude Code status line setting. (Tools: Read, Edit)\n\n" +
          'The following skills are available for use with the Skill tool:\n\n- keybindings-help: Use when the user wants to customize keyboard shortcuts, rebind keys, add chord bindings, or modify ~/.claude/keybindings.json. Examples: "rebind ctrl+s", "add a chord shortcut", "change the submit key", "customize keybindings".\n\nThe following deferred tools are now available via ToolSearch. Use ToolSearch to load them:\nWebFetch\n\nToday\'s date is 2026-11-22.',
      },
      ...messages,
    ],
  };
}

describe("recognizeClaudeCode", () => {
  it("knows Claude Code by its user agent, its billing block or its metadata, and reads the version", () => {
    const bare: MessagesRequest = { model: "m", max_tokens: 1, messages: [{ role: "user", content: "hi" }] };
    expect(recognizeClaudeCode(bare)).toBeUndefined();
    expect(recognizeClaudeCode(bare, "Anthropic/JS 1.0")).toBeUndefined();
    expect(recognizeClaudeCode(bare, "claude-cli/2.1.330 (external, sdk-cli)")).toEqual({ version: "2.1.330" });
    expect(recognizeClaudeCode({ ...bare, system: [BILLING] })).toEqual({ version: "2.1.400" });
    expect(recognizeClaudeCode({ ...bare, metadata: { user_id: JSON.stringify({ device_id: "d", account_uuid: "", session_id: "s" }) } })).toEqual({});
    expect(recognizeClaudeCode({ ...bare, metadata: { user_id: "user-42" } })).toBeUndefined();
  });

  it("compares dotted versions by number", () => {
    expect(compareVersions("2.1.330", "2.1.197")).toBe(1);
    expect(compareVersions("2.1.99", "2.1.197")).toBe(-1);
    expect(compareVersions("2.1.197", "2.1.197")).toBe(0);
  });
});

describe("trimRequest on a newer Claude Code's request (small)", () => {
  const trim = (request: MessagesRequest) => trimRequest(request, trimPlanFor(table, firstProfileOfSize(table, "small")), templates);

  it("renders the template from facts found in the trailing system message, removing them and the lists for removed tools from it", () => {
    const { request, report } = trim(newerRequest());
    expect(report.system).toMatchObject({ mode: "template", template: "system-small", sections: ["environment", "date"], missing: ["git"] });
    const system = JSON.stringify(request.system);
    // The machine's line with the system prompt, the same for every session; the repository's with the session's context.
    expect(system).toContain("one or two sentences.\\n\\n - Platform: linux");
    // The user's own text (an agent no keep rule knows) stays with the repository's lines, before the date.
    expect(system).toContain(" - Primary working directory: /repo\\n\\nYou are an agent of a kind no keep rule has heard of.\\n\\nToday's date is 2026-11-22.");
    // Everything in the system message was a fact moved or a list for a tool the small tier removed: nothing is left of it.
    expect(request.messages.map((m) => m.role)).toEqual(["user"]);
    expect(JSON.stringify(request.messages)).toBe(JSON.stringify([{ role: "user", content: [{ type: "text", text: "fix the bug" }] }]));
    expect(report.rules.filter((r) => r.target === "messages.1").map((r) => r.rule)).toEqual([
      "environment",
      "date",
      "agent-list",
      "skill-list",
      "deferred-tool-list",
      "emptied",
    ]);
  });

  it("takes every non-MCP tool for a built-in (the allowlist removes a new one), hides a deferred tool, keeps the MCP tool, and reports the new built-in", () => {
    const { request, report } = trim(newerRequest());
    expect(request.tools?.map((t) => t.name)).toEqual(["Read", "mcp__tickets__lookup"]);
    expect(report.rules.filter((r) => r.rule === "tool-allowlist").map((r) => r.target)).toEqual([
      "tools.Agent",
      "tools.Skill",
      "tools.BrandNewBuiltIn",
      "tools.ToolSearch",
    ]);
    expect(report.rules.find((r) => r.rule === "tool-deferred")?.target).toBe("tools.WebFetch");
    expect(report.tools.client).toEqual(["mcp__tickets__lookup"]);
    const newBuiltIn = "tools.BrandNewBuiltIn: a built-in tool mallex does not know yet, shaped as one";
    expect(report.claudeCode).toEqual({ version: "2.1.400", unplaced: [newBuiltIn], structural: [newBuiltIn] });
  });

  it("names the same client tools when mallex explain shows the request going to Claude as it is", () => {
    const claude = Object.values(table.profiles).find((profile) => table.backends[profile.backend]?.kind === "anthropic")!;
    expect(explainRequest(newerRequest(), { table, profile: claude, templates }).tools.client).toEqual(["mcp__tickets__lookup"]);
  });

  it("offers a deferred tool from the turn a tool_reference loads it, without defer_loading", () => {
    const loaded = newerRequest([
      { role: "assistant", content: [{ type: "tool_use", id: "t1", name: "ToolSearch", input: { query: "select:WebFetch" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "t1", content: [{ type: "tool_reference", tool_name: "WebFetch" }] }] },
    ]);
    const medium = trimRequest(loaded, trimPlanFor(table, firstProfileOfSize(table, "medium")), templates);
    const webFetch = medium.request.tools?.find((t) => t.name === "WebFetch");
    expect(webFetch).toBeDefined();
    expect(webFetch).not.toHaveProperty("defer_loading");
    expect(trimRequest(newerRequest(), trimPlanFor(table, firstProfileOfSize(table, "medium")), templates).request.tools?.map((t) => t.name)).not.toContain(
      "WebFetch",
    );
  });

  it("reports an unknown reminder, and text that names a tool the model is not offered", () => {
    const request = newerRequest();
    const first = request.messages[0]!;
    request.messages[0] = { role: "user", content: [{ type: "text", text: reminder("Use the Agent tool for big searches.") }, ...(first.content as [])] };
    expect(trim(request).report.claudeCode?.unplaced).toEqual([
      "messages.0.content.0 (reminder 1): a reminder no filter or keep rule knows, passed on unwrapped",
      "tools.BrandNewBuiltIn: a built-in tool mallex does not know yet, shaped as one",
      "messages.0.content.0 (reminder 1): names Agent, a tool the model is not offered",
    ]);
  });

  it("keeps a system message's tool changes (tool_addition / tool_removal) whatever the filters do to its text", () => {
    const removal = { type: "tool_removal" as const, tool: { type: "tool_reference" as const, name: "Read" } };
    const changes = newerRequest([
      { role: "assistant", content: "ok" },
      { role: "system", content: [removal] },
      {
        role: "system",
        content: [
          {
            type: "text",
            text: "Available agent types for the Agent tool:\n- statusline-setup: Use this agent to configure the user's Claude Code status line setting. (Tools: Read, Edit)",
          },
          removal,
        ],
      },
    ]);
    const { request } = trim(changes);
    expect(request.messages.slice(-2)).toEqual([
      { role: "system", content: [removal] },
      { role: "system", content: [removal] },
    ]);
  });

  it("keeps the lists on a size that offers their tools, as known text", () => {
    const large = trimRequest(newerRequest(), trimPlanFor(table, firstProfileOfSize(table, "large")), templates);
    expect(JSON.stringify(large.request.messages)).toContain("Available agent types for the Agent tool:");
    expect(large.report.rules.map((r) => r.rule)).not.toContain("unknown-system-message");
  });

  it("trims the same with the prefix cache, which tells conversations with another preamble apart", () => {
    const cache = createPrefixCache();
    const plan = trimPlanFor(table, firstProfileOfSize(table, "small"));
    const cached = (request: MessagesRequest) => trimRequest(request, plan, templates, { cache, source: measureSource(request) });
    const one = newerRequest();
    const other = newerRequest();
    other.messages[1] = { role: "system", content: (other.messages[1]!.content as string).replace("/repo", "/elsewhere") };
    expect(JSON.stringify(cached(one).request)).toBe(JSON.stringify(trim(one).request));
    expect(JSON.stringify(cached(other).request.system)).toContain("/elsewhere");
    expect(JSON.stringify(cached(one).request.system)).toContain("/repo");
    expect(cache.stats()).toEqual({ hits: 1, misses: 2 });
  });
});

describe("dropOptionalParams", () => {
  it("drops the named optional properties, never a required one", () => {
    const schema = { type: "object", properties: { command: { type: "string" }, run_in_background: { type: "boolean" } }, required: ["command"] };
    expect(dropOptionalParams(schema, ["run_in_background", "command"])).toEqual({
      type: "object",
      properties: { command: { type: "string" } },
      required: ["command"],
    });
    expect(dropOptionalParams(schema, ["nothing"])).toBe(schema);
  });
});

/** What the server reads off a body's text (see checkMessagesBody): the JSON of its system prompt and tools, and the sizes. */
function measureSource(request: MessagesRequest): PromptSource {
  const systemJson = JSON.stringify(request.system);
  const toolsJson = JSON.stringify(request.tools);
  return { systemJson, toolsJson, chars: { system: systemJson.length, messages: JSON.stringify(request.messages).length, tools: toolsJson.length } };
}
