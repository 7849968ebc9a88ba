import { beforeAll, expect, it } from "vitest";
import type { ValidateFunction } from "../../generated/validate-messages.mjs";
import type { RoutingTable } from "../../src/compile/routing-table.js";
import { loadValidator } from "../../src/shared/load-validator.js";
import { checkMessagesBody } from "../../src/pipeline/check-messages-body.js";
import { packageRoot } from "../helpers/config-tree.js";
import { findClaudeCodeDrift } from "../../src/observe/claude-code-drift.js";
import type { Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { createPrefixCache } from "../../src/trim/prefix-cache.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import { withTrimOff } from "../../src/eval/variant-tables.js";
import { trimmedPromptLimit } from "../../src/cli/claude-code/claude-context-env.js";
import { describeWithShared, readCapture } from "../helpers/shared-dir.js";
import { firstProfileOfSize, loadShipped } from "../helpers/trim-helpers.js";

let table: RoutingTable;
let templates: Templates;
let validate: ValidateFunction;
beforeAll(async () => {
  ({ table, templates } = await loadShipped());
  validate = await loadValidator(packageRoot, "validate-messages");
});

/**
 * A profile with `trim: false` (what `mallex eval --trim off` sets on every local profile): Claude
 * Code's request reaches the model as it came, whatever the profile's size and budget.
 */
describeWithShared("trim: false", () => {
  it("forwards Claude Code's whole request: its system prompt, every tool as declared, every message, over any budget", () => {
    const request = readCapture<MessagesRequest>("main-request-sonnet-4-6-full-prompt.json").body;
    const small = firstProfileOfSize(table, "small");
    const trimmed = trimRequest(request, trimPlanFor(table, small), templates);
    const whole = trimRequest(request, trimPlanFor(table, { ...small, inputBudget: 1000, trim: false }), templates);
    expect(whole.ok).toBe(true);
    // Only the billing block goes, as it always does: metadata that changes per conversation, not prompt.
    const system = request.system as Array<{ type: string; text: string }>;
    expect(system[0]!.text).toMatch(/^x-anthropic-billing-header:/);
    expect(whole.request.system).toEqual(system.slice(1));
    expect(whole.report.rules.map((hit) => hit.rule)).toEqual(["billing-header"]);
    expect(whole.request.tools).toEqual(request.tools);
    expect(whole.request.messages).toEqual(request.messages);
    expect(whole.report.system).toEqual({ mode: "passthrough", reason: `trim: false in profile ${small.name}` });
    expect(whole.report.after.chars).toBeGreaterThan(trimmed.report.after.chars * 2);
    // The profile's choice, not a Claude Code release that changed: no drift alarm.
    expect(findClaudeCodeDrift({ ...whole.report, claudeCode: { version: "9.9.9", unplaced: [] } })).toBeUndefined();
  });

  it("is the same plan for every request of a profile, so the prefix cache keeps hitting", () => {
    const untrimmed = withTrimOff(table);
    const profile = untrimmed.profiles[firstProfileOfSize(table, "medium").name]!;
    expect(profile.trim).toBe(false);
    const a = trimPlanFor(untrimmed, profile);
    const b = trimPlanFor(untrimmed, profile);
    expect(a.trimming).toBe(b.trimming);
    expect(a.tools).toBe(b.tools);
    expect(a.profile).toBe(b.profile);
    const text = JSON.stringify(readCapture<MessagesRequest>("main-request-2plus2.json").body);
    const cache = createPrefixCache();
    for (let i = 0; i < 2; i++) {
      const check = checkMessagesBody(text, validate, { cache });
      if (!check.ok) throw new Error(check.message);
      trimRequest(check.request, trimPlanFor(untrimmed, profile), templates, { cache, source: check.source });
    }
    expect(cache.stats()).toEqual({ hits: 1, misses: 1 });
    // Nor does anything else claim the budget for it: Claude Code is told the context, less the answer's share.
    expect(trimmedPromptLimit(profile)).toBeGreaterThan(profile.inputBudget!);
    expect(trimmedPromptLimit(profile)).toBe(trimmedPromptLimit({ ...profile, inputBudget: undefined }));
    // Claude's own profiles are never trimmed: the switch leaves them as they are.
    const claude = Object.values(untrimmed.profiles).find((p) => untrimmed.backends[p.backend]?.kind === "anthropic")!;
    expect(claude.trim).toBeUndefined();
  });
});
