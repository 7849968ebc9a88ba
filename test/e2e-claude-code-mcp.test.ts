import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderXmlToolCall } from "../src/translate/tool-calls/render-xml-tool-call.js";
import { createFakeMlxServer, type FakeMlxServer, type FakeRequestRecord, type FakeScript } from "./fakes/mlx-lm-server.js";
import { makeProject, runClaude } from "./helpers/claude-code.js";
import { NEWEST_CLAUDE_CODE, PINNED_CLAUDE_CODE, type ClaudeCodeVersion } from "./helpers/claude-code-versions.js";
import { startProxyProcess, type MallexProxyProcess } from "./helpers/mallex-process.js";

/**
 * A client's own tools reach a small local model: the real Claude Code CLI is given a real stdio MCP
 * server (test/fakes/mcp-ticket-server.js, one tool) with --mcp-config, and talks through
 * `mallex proxy` routed to the small tier (whose allowlist names only Claude Code's built-ins) to the
 * fake mlx-lm.server. The fake model calls the MCP tool; the call must reach the MCP server and its
 * result come back to the model.
 */
const MCP_SERVER = fileURLToPath(new URL("./fakes/mcp-ticket-server.js", import.meta.url));
const TOOL = "mcp__tickets__lookup_ticket";
/** A part of the MCP server's answer for OPS-12 that the model could not have made up. */
const TICKET_MARK = "ticket-server-7f3a";
/** The MCP server's instructions (as in test/fakes/mcp-ticket-server.js): they name the tool. */
const INSTRUCTIONS = "Ticket ids look like OPS-12: for any question about one, call lookup_ticket with the id (tracker-instructions-5c1d).";

type Message = { role: string; content: unknown };
const messagesOf = (request: FakeRequestRecord) => (request.body as { messages: Message[] }).messages;
const text = (message: Message) => (typeof message.content === "string" ? message.content : JSON.stringify(message.content));
const toolNames = (request: FakeRequestRecord) => ((request.body as { tools?: Array<{ function: { name: string } }> }).tools ?? []).map((t) => t.function.name);

let mlx: FakeMlxServer;
let respond: (request: FakeRequestRecord) => FakeScript | undefined = () => undefined;
beforeAll(async () => {
  mlx = await createFakeMlxServer({ respond: (request) => respond(request) });
});
afterAll(async () => {
  await mlx?.close();
});

/** A project whose mallex.yaml routes every request to the shipped small profile (qwen2.5-coder-7b), with `extra` YAML appended. */
function smallTierConfig(extra = ""): string {
  const config = join(makeProject(), "mallex.yaml");
  writeFileSync(config, `include: [mallex]\ntiers:\n  low: { profile: qwen2.5-coder-7b }\n  medium: { profile: qwen2.5-coder-7b }\n${extra}`);
  return config;
}

/** Runs `claude -p` with the ticket MCP server; returns its result, the upstream requests it caused and the calls the MCP server got. */
async function askAboutTicket(
  proxy: MallexProxyProcess,
  script: (request: FakeRequestRecord, results: Message[]) => FakeScript,
  claudeCode: ClaudeCodeVersion = PINNED_CLAUDE_CODE,
  env: Record<string, string> = {},
) {
  const project = makeProject();
  const calls = join(project, "mcp-calls.jsonl");
  const mcpConfig = join(project, "mcp.json");
  writeFileSync(mcpConfig, JSON.stringify({ mcpServers: { tickets: { type: "stdio", command: process.execPath, args: [MCP_SERVER, calls] } } }));
  // Tool results come back as tool messages (native mode) or as <tool_result> text in a user message (xml mode).
  respond = (request) =>
    script(
      request,
      messagesOf(request).filter((m) => m.role === "tool" || text(m).startsWith("<tool_result")),
    );
  const before = mlx.requests.length;
  const result = await runClaude(
    proxy.url,
    project,
    ["-p", "what is the status of ticket OPS-12?", "--output-format", "json", "--mcp-config", mcpConfig, "--strict-mcp-config", "--allowedTools", TOOL],
    claudeCode,
    env,
  );
  const upstream = mlx.requests.slice(before).filter((r) => r.method === "POST");
  const received = existsSync(calls)
    ? readFileSync(calls, "utf8")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown)
    : [];
  return { result, upstream, received };
}

describe("Claude Code with an MCP server, through mallex on the small tier", () => {
  it("native tools: the model is offered mcp__tickets__lookup_ticket next to the allowed built-ins, calls it, and the MCP server's answer comes back", async () => {
    const proxy = await startProxyProcess(["--backend-url", mlx.url, "--config", smallTierConfig()]);
    try {
      const { result, upstream, received } = await askAboutTicket(proxy, (_request, results) =>
        results.length === 0 ? { toolCalls: [{ name: TOOL, arguments: { id: "OPS-12" } }] } : { text: `Per the tracker: ${text(results[0]!)}` },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      const output = JSON.parse(result.stdout) as { is_error: boolean; result: string; num_turns: number };
      expect(output).toMatchObject({ is_error: false, num_turns: 2 });
      expect(output.result).toContain(TICKET_MARK);

      expect(upstream).toHaveLength(2);
      const offered = toolNames(upstream[0]!);
      expect(offered).toContain(TOOL);
      expect(offered).toEqual(expect.arrayContaining(["Bash", "Edit", "Read", "Write"]));
      expect(offered).not.toContain("Agent"); // a built-in the small allowlist leaves out
      expect(received).toEqual([{ id: "OPS-12" }]);
      expect(text(messagesOf(upstream[1]!).at(-1)!)).toContain(TICKET_MARK);
      // The server's instructions, naming the offered tool, are kept whole.
      expect(JSON.stringify(upstream[0]!.body)).toContain(INSTRUCTIONS);
      // The log line says the MCP tool was kept, and the allowlist still cut the built-ins.
      await expect
        .poll(() => proxy.output(), { timeout: 5_000 })
        .toMatch(/→ qwen2\.5-coder-7b \(default → medium\) · .*tool-allowlist ×\d+ −[\d,]+ .*· client tools: mcp__tickets__lookup_ticket · /);
    } finally {
      await proxy.stop();
    }
  });

  // 2.1.330 as installed defers MCP tools behind its tool search: their names in a list, no schema
  // until ToolSearch loads them. 2.1.197 with ENABLE_TOOL_SEARCH=true sends its first request while a
  // stdio server is still connecting: a paragraph names the server, no list names its tools. Either way
  // mallex offers ToolSearch, whatever the allowlist says; the model searches by a keyword.
  describe.each([
    [`${PINNED_CLAUDE_CODE.version} (pinned, ENABLE_TOOL_SEARCH=true)`, PINNED_CLAUDE_CODE, { ENABLE_TOOL_SEARCH: "true" }],
    [`${NEWEST_CLAUDE_CODE.version} (newest, as installed)`, NEWEST_CLAUDE_CODE, {}],
  ] as const)("Claude Code %s with its tool search on", (_name, claudeCode, env) => {
    it("native tools: the model is offered ToolSearch, finds the MCP tool by a keyword, calls it, and the MCP server's answer comes back; the server's instructions are kept with the tool they name", async () => {
      const proxy = await startProxyProcess(["--backend-url", mlx.url, "--config", smallTierConfig()]);
      try {
        const { result, upstream, received } = await askAboutTicket(
          proxy,
          (request, results) => {
            if (!toolNames(request).includes(TOOL)) return { toolCalls: [{ name: "ToolSearch", arguments: { query: "ticket", max_results: 5 } }] };
            return results.some((message) => text(message).includes(TICKET_MARK))
              ? { text: `Per the tracker: ${text(results.at(-1)!)}` }
              : { toolCalls: [{ name: TOOL, arguments: { id: "OPS-12" } }] };
          },
          claudeCode,
          env,
        );
        expect(result.exitCode, result.stderr).toBe(0);
        const output = JSON.parse(result.stdout) as { is_error: boolean; result: string; num_turns: number };
        expect(output).toMatchObject({ is_error: false, num_turns: 3 });
        expect(output.result).toContain(TICKET_MARK);
        expect(upstream).toHaveLength(3);
        // The first request: ToolSearch next to the allowed built-ins, and what names the MCP tool or its server.
        expect(toolNames(upstream[0]!)).toEqual(expect.arrayContaining(["ToolSearch", "Bash", "Read"]));
        expect(toolNames(upstream[0]!)).not.toContain(TOOL);
        const opening = JSON.stringify(messagesOf(upstream[0]!));
        if (claudeCode === PINNED_CLAUDE_CODE)
          expect(opening).toContain(
            "The following MCP servers are still connecting; ToolSearch waits for them and finds their tools by a keyword:\\ntickets\\n",
          );
        else expect(opening).toContain(`available via ToolSearch: load one (query \\"select:<name>\\") before calling it:`);
        if (claudeCode === NEWEST_CLAUDE_CODE) expect(opening).toContain(`\\n${TOOL}\\n`);
        // Neither names the built-ins the small size leaves out even once loaded.
        expect(opening).not.toMatch(/\\n(CronCreate|WebFetch|NotebookEdit)\\n/);
        // Loaded by ToolSearch, the tool is offered with its schema from then on.
        expect(toolNames(upstream[1]!)).toContain(TOOL);
        expect(received).toEqual([{ id: "OPS-12" }]);
        // The server's instructions reach the model whole, where the tool they name is offered or ToolSearch loads it.
        const instructed = upstream.filter((request) => JSON.stringify(request.body).includes(INSTRUCTIONS));
        expect(instructed.some((request) => toolNames(request).includes(TOOL))).toBe(true);
        for (const request of instructed) expect(toolNames(request)).toEqual(expect.arrayContaining([toolNames(request).includes(TOOL) ? TOOL : "ToolSearch"]));
      } finally {
        await proxy.stop();
      }
    });
  });

  it("xml tools: the MCP tool is described in the prompt, and a call written as text reaches the MCP server", async () => {
    const config = smallTierConfig("profiles:\n  qwen2.5-coder-7b: { tools: { mode: xml, format: mallex-xml } }\n");
    const proxy = await startProxyProcess(["--backend-url", mlx.url, "--config", config]);
    try {
      const { result, upstream, received } = await askAboutTicket(proxy, (_request, results) =>
        results.length === 0
          ? { text: "Let me look it up.\n", rawText: renderXmlToolCall(TOOL, { id: "OPS-12" }) }
          : { text: `Per the tracker: ${text(results[0]!)}` },
      );
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({ is_error: false, result: expect.stringContaining(TICKET_MARK) });
      expect(toolNames(upstream[0]!)).toEqual([]);
      expect(upstream[0]!.prompt?.text).toContain(`## ${TOOL}\nLooks up a ticket in the team's tracker by its id.`);
      expect(received).toEqual([{ id: "OPS-12" }]);
    } finally {
      await proxy.stop();
    }
  });

  it("drop: a glob in the small tier's tool policy removes the MCP tool, and the log line says so", async () => {
    const config = smallTierConfig('tools:\n  small: { drop: ["mcp__tickets__*"] }\n');
    const proxy = await startProxyProcess(["--backend-url", mlx.url, "--config", config]);
    try {
      const { result, upstream, received } = await askAboutTicket(proxy, () => ({ text: "I have no tracker tool." }));
      expect(result.exitCode, result.stderr).toBe(0);
      expect(toolNames(upstream[0]!)).not.toContain(TOOL);
      expect(toolNames(upstream[0]!)).toContain("Read");
      expect(received).toEqual([]);
      await expect.poll(() => proxy.output(), { timeout: 5_000 }).toMatch(/→ qwen2\.5-coder-7b .*· tool-drop −[\d,]+ · /);
      expect(proxy.output()).not.toContain("client tools:");
    } finally {
      await proxy.stop();
    }
  });
});
