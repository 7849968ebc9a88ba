import { describe, expect, it } from "vitest";
import { terminalJson, terminalText } from "../../src/cli/terminal-text.js";

describe("terminalText", () => {
  it("escapes control characters inside each line and keeps mallex's own line breaks", () => {
    expect(terminalText("a\u001b[2J\nb\rc")).toBe("a\\x1b[2J\nb\\rc");
  });

  it("keeps a newline inside one of the lines given as an array escaped: no forged line", () => {
    expect(terminalText(["model: x\nmallex: forged", "next"])).toBe("model: x\\nmallex: forged\nnext");
  });

  it("is idempotent, so a line the log writer escaped already prints the same", () => {
    const once = terminalText("\u001b]0;t\u0007\u009b\u2028");
    expect(terminalText(once)).toBe(once);
  });
});

describe("terminalJson", () => {
  it("escapes DEL, C1 and U+2028 as \\u escapes and stays JSON with the same value", () => {
    const value = { model: "a\u009b31m\u007f\u2028\u001b" };
    const text = terminalJson(value);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
