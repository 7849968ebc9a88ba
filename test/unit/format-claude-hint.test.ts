import { describe, expect, it } from "vitest";
import { formatClaudeHint } from "../../src/cli/claude-code/format-claude-hint.js";

const URL = "http://127.0.0.1:4141";

describe("formatClaudeHint (the `claude:` line of mallex proxy)", () => {
  it("gives Claude Code a key when the proxy checks none (no token, or one that reads an unset variable)", () => {
    const line = `ANTHROPIC_BASE_URL=${URL} ANTHROPIC_API_KEY=local claude`;
    expect(formatClaudeHint(URL, undefined, {})).toBe(line);
    expect(formatClaudeHint(URL, "${MALLEX_TOKEN}", {})).toBe(line);
  });

  it("passes a token from the environment as the same reference, for the shell to fill in", () => {
    expect(formatClaudeHint(URL, "${MALLEX_TOKEN}", { MALLEX_TOKEN: "s3cret" })).toBe(
      `ANTHROPIC_BASE_URL=${URL} ANTHROPIC_AUTH_TOKEN="\${MALLEX_TOKEN}" claude`,
    );
    expect(formatClaudeHint(URL, "${MALLEX_TOKEN:-dev}", {})).toBe(`ANTHROPIC_BASE_URL=${URL} ANTHROPIC_AUTH_TOKEN="\${MALLEX_TOKEN:-dev}" claude`);
  });

  it("writes any other token as its value, quoted for the shell where it needs to be", () => {
    expect(formatClaudeHint(URL, "plain-token", {})).toBe(`ANTHROPIC_BASE_URL=${URL} ANTHROPIC_AUTH_TOKEN=plain-token claude`);
    expect(formatClaudeHint(URL, "it's $x", {})).toBe(`ANTHROPIC_BASE_URL=${URL} ANTHROPIC_AUTH_TOKEN='it'\\''s $x' claude`);
    expect(formatClaudeHint(URL, "pre-${T}", { T: "1" })).toBe(`ANTHROPIC_BASE_URL=${URL} ANTHROPIC_AUTH_TOKEN=pre-1 claude`);
  });
});
