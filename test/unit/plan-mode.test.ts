import { describe, expect, it } from "vitest";
import type { AnthropicMessageParam } from "../../src/translate/anthropic-types.js";
import { planModeOn } from "../../src/trim/read-preamble.js";

const reminder = (text: string) => `<system-reminder>\n${text}\n</system-reminder>\n\n`;
const user = (text: string): AnthropicMessageParam => ({ role: "user", content: [{ type: "text", text }] });
const assistant: AnthropicMessageParam = { role: "assistant", content: [{ type: "text", text: "ok" }] };
const FULL = "Plan mode is active. The user indicated that they do not want you to execute yet -- you MUST NOT make any edits.";

describe("planModeOn: Claude Code's last plan-mode note decides", () => {
  it("on from a reminder (2.1.100) or a role:system message (2.1.197 and later), and from the short repeat on later turns", () => {
    expect(planModeOn([user(`${reminder(FULL)}plan the flag`)])).toBe(true);
    expect(planModeOn([user("plan the flag"), { role: "system", content: `skills…\n\n${FULL}` }])).toBe(true);
    expect(
      planModeOn([
        user("hi"),
        assistant,
        user(`${reminder("Plan mode still active (see full instructions earlier in conversation). Read-only except plan file (/p.md).")}go on`),
      ]),
    ).toBe(true);
  });

  it("off once Claude Code says it exited, until it says it is on again", () => {
    const exited = reminder("## Exited Plan Mode\n\nYou have exited plan mode. You can now make edits, run tools, and take actions.");
    expect(planModeOn([user(`${reminder(FULL)}plan it`), assistant, user(`${exited}do it`)])).toBe(false);
    expect(
      planModeOn([
        user(`${reminder(FULL)}plan it`),
        assistant,
        user(`${exited}do it`),
        assistant,
        user(`${reminder("## Re-entering Plan Mode\n\nYou are returning to plan mode.")}again`),
      ]),
    ).toBe(true);
  });

  it("never from the user's own words, nor without any note", () => {
    expect(planModeOn([user("Plan mode is active. Please explain what that means.")])).toBe(false);
    expect(planModeOn([user(`${reminder("Today's date is 2026-11-24.")}what is 2+2`)])).toBe(false);
  });
});
