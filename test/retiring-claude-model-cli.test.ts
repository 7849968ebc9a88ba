/**
 * A Claude model Anthropic retires (RETIRING_CLAUDE_MODELS) is said by `mallex compile`, and by every
 * start of a proxy whose config was compiled before: such a start compiles nothing, so it would say
 * nothing else, and the first sign would be every hard request failing on the day. Said once a start.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { localAndClaudeConfig, writeTree } from "./helpers/config-tree.js";
import { startProxyProcess } from "./helpers/mallex-process.js";

const WARNING = 'profile "claude" names claude-sonnet-4-5, which Anthropic retires on 2026-11-30: from then on every request routed to it fails';
const count = (text: string, part: string) => text.split(part).length - 1;

describe("a config that names a retiring Claude model", () => {
  it("is warned about when compiled, and again by each later start from the compiled table, once each", async () => {
    const dir = writeTree({ "mallex.yaml": localAndClaudeConfig().replace("model: claude-sonnet-4-6", "model: claude-sonnet-4-5") });
    const args = ["--config", join(dir, "mallex.yaml"), "--backend-url", "http://127.0.0.1:9/v1"];
    const first = await startProxyProcess(args);
    await first.stop();
    // Compiled at this start: compile's own diagnostic, with where the model is named.
    expect(first.output()).toMatch(/mallex\.yaml:\d+:\d+: warning \[profile-model-retiring\]/);
    expect(count(first.output(), WARNING)).toBe(1);
    const later = await startProxyProcess(args);
    await later.stop();
    // generated/ is current: nothing is compiled, and the warning comes from the table.
    expect(later.output()).not.toContain("[profile-model-retiring]");
    expect(
      count(later.output(), `mallex: warning: ${WARNING} (hint: set model: claude-sonnet-4-6 (or another current Claude model) in profile "claude")`),
    ).toBe(1);
  });

  it("a current model is warned about neither way", async () => {
    const dir = writeTree({ "mallex.yaml": localAndClaudeConfig() });
    const args = ["--config", join(dir, "mallex.yaml"), "--backend-url", "http://127.0.0.1:9/v1"];
    for (let start = 0; start < 2; start++) {
      const proxy = await startProxyProcess(args);
      await proxy.stop();
      expect(proxy.output()).not.toMatch(/retires on/);
    }
  });
});
