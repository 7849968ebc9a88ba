/**
 * A Claude model's name ages out: Anthropic retires models on announced days, after which every request
 * naming one fails. The shipped Claude tier named claude-sonnet-4-5 two days before its end; compile
 * now warns for any Anthropic profile whose model is on the retirement list (the shipped config compiles
 * with no warning: test/compile.test.ts), and the list is held to the one the Anthropic SDK carries.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { RETIRING_CLAUDE_MODELS } from "../../src/compile/check-claude-model.js";
import { compileTree } from "../helpers/config-tree.js";

const config = (model: string, kind = "anthropic") => `backends:
  claude: { kind: ${kind}, base_url: http://127.0.0.1:1 }
profiles:
  hard: { backend: claude, model: ${model}, size: large }
tiers:
  medium: { profile: hard }
`;

/** The SDK's deprecation lists (its messages module's and its data module's, where each exists): model → "November 30th, 2026". */
function sdkDeprecations(): Map<string, string> {
  const root = fileURLToPath(new URL("../../node_modules/@anthropic-ai/sdk/", import.meta.url));
  const found = new Map<string, string>();
  for (const file of ["internal/data/deprecated-models.js", "resources/messages/messages.js"]) {
    const path = join(root, file);
    if (!existsSync(path)) continue;
    const list = /DEPRECATED_MODELS = \{([^}]*)\}/.exec(readFileSync(path, "utf8"))?.[1] ?? "";
    for (const [, model, day] of list.matchAll(/'([^']+)':\s*'([^']+)'/g)) found.set(model!, day!);
  }
  return found;
}

/** "November 30th, 2026" → "2026-11-30". */
function isoDay(day: string): string {
  const [, month, date, year] = /^(\w+) (\d+)\w*, (\d{4})$/.exec(day)!;
  const index = new Date(`${month} 1, 2000`).getMonth() + 1;
  return `${year}-${String(index).padStart(2, "0")}-${date!.padStart(2, "0")}`;
}

describe("a Claude model Anthropic retires", () => {
  it("warns for an Anthropic profile that names one, with its end and its successor, and still compiles", () => {
    const result = compileTree({ "mallex.yaml": config("claude-sonnet-4-5") });
    expect(result.diagnostics.map((d) => [d.code, d.severity])).toEqual([["profile-model-retiring", "warning"]]);
    expect(result.lines.join("\n")).toContain(
      'profile "hard" names claude-sonnet-4-5, which Anthropic retires on 2026-11-30: from then on every request routed to it fails',
    );
    expect(result.lines.join("\n")).toContain('set model: claude-sonnet-4-6 (or another current Claude model) in profile "hard"');
    expect(result.table).toBeDefined();
  });

  it("says nothing for a current Claude model, nor for a local model of the same name", () => {
    expect(compileTree({ "mallex.yaml": config("claude-sonnet-4-6") }).diagnostics).toEqual([]);
    expect(compileTree({ "mallex.yaml": config("claude-sonnet-4-5", "openai") }).diagnostics).toEqual([]);
  });

  it("holds every model the installed Anthropic SDK lists as deprecated, with the same end", () => {
    const listed = sdkDeprecations();
    expect(listed.size).toBeGreaterThan(0);
    for (const [model, day] of listed) expect(RETIRING_CLAUDE_MODELS[model]?.endOfLife, model).toBe(isoDay(day));
  });
});
