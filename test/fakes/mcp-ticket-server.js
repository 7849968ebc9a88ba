#!/usr/bin/env node
// @ts-check
/**
 * A tiny real MCP server over stdio (the official @modelcontextprotocol/sdk), for giving the real
 * Claude Code CLI an MCP tool: `claude --mcp-config` starts it as
 *
 *   node test/fakes/mcp-ticket-server.js CALLS_FILE
 *
 * It exposes one tool, `lookup_ticket` (Claude Code names it `mcp__<server>__lookup_ticket`), which
 * answers from a fixed table and appends each call's arguments to CALLS_FILE as one JSON line, so a
 * test can see that a model's call reached the server. It gives Claude Code instructions naming the
 * tool (INSTRUCTIONS; test/e2e-claude-code-mcp.test.ts looks for the same text upstream), which Claude
 * Code passes on to the model. Plain JavaScript: Claude Code spawns it with node.
 */
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

/** What the server knows: a result the model could not have made up. */
const TICKETS = /** @type {Record<string, string>} */ ({
  "OPS-12": "OPS-12: Rotate the staging TLS certificate. Status: in progress. Assignee: dana (ticket-server-7f3a).",
});

/** The server's instructions to the model; a test looks for them (and the tool they name) upstream. */
const INSTRUCTIONS = "Ticket ids look like OPS-12: for any question about one, call lookup_ticket with the id (tracker-instructions-5c1d).";

const callsFile = process.argv[2];
const server = new McpServer({ name: "tickets", version: "1.0.0" }, { instructions: INSTRUCTIONS });
server.registerTool(
  "lookup_ticket",
  {
    description: "Looks up a ticket in the team's tracker by its id.\n\nReturns the ticket's title, status and assignee.",
    inputSchema: { id: z.string().describe("The ticket id, e.g. OPS-12") },
  },
  async ({ id }) => {
    if (callsFile) appendFileSync(callsFile, `${JSON.stringify({ id })}\n`);
    const ticket = TICKETS[id];
    return ticket === undefined ? { content: [{ type: "text", text: `No ticket ${id}.` }], isError: true } : { content: [{ type: "text", text: ticket }] };
  },
);
await server.connect(new StdioServerTransport());
