/**
 * The `token-budget` filter of the shipped mallex.yaml, compiled, on the exact shapes Claude Code sends:
 * a text block of its own after the question, with or without newlines inside the tags (2.1.197 and
 * 2.1.330 with a 1M-token model write "<system-reminder>\n<total_tokens>1000000 tokens left</total_tokens>\n</system-reminder>",
 * 2.1.260 the same on one line). It counts a Claude model's context; the local model's is another.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { compileFilters, runFilters } from "../../src/trim/run-filters.js";
import { splitSystemReminders } from "../../src/trim/read-preamble.js";
import { explainRequest } from "../../src/pipeline/explain-request.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
});

const SHAPES = {
  "2.1.197 and 2.1.330 (own lines)": "<system-reminder>\n<total_tokens>1000000 tokens left</total_tokens>\n</system-reminder>",
  "2.1.260 (one line)": "<system-reminder><total_tokens>1000000 tokens left</total_tokens></system-reminder>",
};

describe.each(Object.entries(SHAPES))("token-budget on Claude Code %s", (_name, block) => {
  it("the compiled filter drops the reminder, on every size", () => {
    const segments = splitSystemReminders(block);
    expect(segments).toHaveLength(1);
    const reminder = segments[0]!;
    if (reminder.kind !== "reminder") throw new Error("not a reminder");
    const filter = table.filters.filter((f) => f.id === "token-budget");
    expect(filter).toHaveLength(1);
    for (const size of ["small", "medium", "large"] as const) {
      expect(runFilters(reminder.inner, "reminder", compileFilters(filter, size), "messages.0.content.2 (reminder 1)", 0).droppedBy).toBe("token-budget");
    }
  });

  it("a request ending on it reaches the model without it, the question kept, no part left unplaced", () => {
    const request: MessagesRequest = {
      model: "claude-opus-5-5",
      max_tokens: 1000,
      system: [
        { type: "text", text: "x-anthropic-billing-header: cc_version=2.1.260.abc; cc_entrypoint=cli;" },
        { type: "text", text: "You are Claude Code." },
      ],
      tools: [{ name: "Read", description: "Reads a file.", input_schema: { type: "object", properties: { file_path: { type: "string" } } } }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "what is 2+2" },
            { type: "text", text: block },
          ],
        },
      ],
    };
    for (const size of ["small", "medium"] as const) {
      const explanation = explainRequest(request, {
        table,
        profile: firstProfileOfSize(table, size),
        templates,
        userAgent: "claude-cli/2.1.260 (external, cli)",
      });
      const upstream = JSON.stringify(explanation.upstream);
      expect(upstream).not.toContain("total_tokens");
      expect(upstream).toContain("what is 2+2");
      expect(explanation.rules).toContainEqual(expect.objectContaining({ rule: "token-budget" }));
      expect(explanation.claudeCode).toEqual({ version: "2.1.260", unplaced: [] });
    }
  });
});

it("the user's own text that mentions <total_tokens> outside a reminder is kept", () => {
  const request: MessagesRequest = {
    model: "m",
    max_tokens: 100,
    messages: [{ role: "user", content: "why does my log say <total_tokens>12 tokens left</total_tokens>?" }],
  };
  const explanation = explainRequest(request, {
    table,
    profile: firstProfileOfSize(table, "small"),
    templates,
    userAgent: "claude-cli/2.1.260 (external, cli)",
  });
  expect(JSON.stringify(explanation.upstream)).toContain("<total_tokens>12 tokens left</total_tokens>");
});
