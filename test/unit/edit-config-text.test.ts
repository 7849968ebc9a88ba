import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { addProfile, flowScalar, setTierProfile } from "../../src/models/actions/edit-config-text.js";
import { unifiedDiff } from "../../src/models/actions/unified-diff.js";

/** The tiers part of what `mallex init` writes: aligned entries, a comment after each, sections with comment headings. */
const INIT_FILE = `# yaml-language-server: $schema=./node_modules/mallex/schema/mallex.schema.json
#
# mallex configuration, written by \`mallex init\` for this machine:
include: [mallex]

# --- Effort tiers ----------------------------------------------------------------------------------
# Each request Claude Code sends goes to one tier.
tiers:
  low:    { profile: gguf-qwen2.5-coder-7b }                     # local
  medium: { profile: gguf-qwen2.5-coder-7b }                     # local
  high:   { profile: claude-sonnet, fallback: medium }   # Claude; without ANTHROPIC_API_KEY it falls back to medium

# --- Memory on this machine ------------------------------------------------------------------------
memory:
  budget_gb: 12
`;

function ok(edit: ReturnType<typeof setTierProfile>): string {
  if (!edit.ok) throw new Error(edit.message);
  return edit.text;
}

describe("setTierProfile", () => {
  it("changes the profile's name and nothing else: comments, alignment, the other tiers stay byte for byte", () => {
    const text = ok(setTierProfile(INIT_FILE, "medium", "my-model"));
    expect(text).toBe(INIT_FILE.replace("medium: { profile: gguf-qwen2.5-coder-7b }", "medium: { profile: my-model }"));
    expect(parse(text).tiers.medium).toEqual({ profile: "my-model" });
    expect(unifiedDiff(INIT_FILE, text, { from: "a/mallex.yaml", to: "b/mallex.yaml" })).toBe(
      [
        "--- a/mallex.yaml",
        "+++ b/mallex.yaml",
        "@@ -7,7 +7,7 @@",
        " # Each request Claude Code sends goes to one tier.",
        " tiers:",
        "   low:    { profile: gguf-qwen2.5-coder-7b }                     # local",
        "-  medium: { profile: gguf-qwen2.5-coder-7b }                     # local",
        "+  medium: { profile: my-model }                     # local",
        "   high:   { profile: claude-sonnet, fallback: medium }   # Claude; without ANTHROPIC_API_KEY it falls back to medium",
        " ",
        " # --- Memory on this machine ------------------------------------------------------------------------",
        "",
      ].join("\n"),
    );
  });

  it("keeps a block-style tier's comment and its fallback; quotes a name YAML would read as something else", () => {
    const file = "tiers:\n  medium:\n    profile: old   # my note\n    fallback: low\n  low: { profile: small }\n";
    expect(ok(setTierProfile(file, "medium", "new"))).toBe("tiers:\n  medium:\n    profile: new   # my note\n    fallback: low\n  low: { profile: small }\n");
    expect(ok(setTierProfile(file, "low", "true"))).toContain('low: { profile: "true" }');
    expect(parse(ok(setTierProfile(file, "low", "123"))).tiers.low.profile).toBe("123");
    expect(flowScalar("qwen2.5-coder-7b")).toBe("qwen2.5-coder-7b");
  });

  it("adds a tier the file does not set, in tier order, at the others' indentation", () => {
    const file = "tiers:\n    low: { profile: a }\n    high: { profile: c }\nmemory: { budget_gb: 8 }\n";
    const text = ok(setTierProfile(file, "medium", "b"));
    expect(text).toBe("tiers:\n    low: { profile: a }\n    medium: { profile: b }\n    high: { profile: c }\nmemory: { budget_gb: 8 }\n");
    expect(ok(setTierProfile("tiers:\n  low: { profile: a }", "high", "c"))).toBe("tiers:\n  low: { profile: a }\n  high: { profile: c }\n");
  });

  it("adds a profile to a tier that sets only its fallback, and to flow-style tiers", () => {
    expect(parse(ok(setTierProfile("tiers:\n  high:\n    fallback: medium\n", "high", "x"))).tiers.high).toEqual({ profile: "x", fallback: "medium" });
    expect(parse(ok(setTierProfile("tiers: { high: { fallback: medium } }\n", "high", "x"))).tiers.high).toEqual({ profile: "x", fallback: "medium" });
    expect(ok(setTierProfile("tiers: { low: { profile: a } }\n", "medium", "b"))).toBe("tiers: { low: { profile: a }, medium: { profile: b } }\n");
  });

  it("adds a tiers section to a file without one, and to a file of comments alone", () => {
    expect(ok(setTierProfile("include: [mallex]\n# the end\n", "low", "a"))).toBe("include: [mallex]\n# the end\n\ntiers:\n  low: { profile: a }\n");
    expect(ok(setTierProfile("# only a comment", "low", "a"))).toBe("# only a comment\n\ntiers:\n  low: { profile: a }\n");
    expect(ok(setTierProfile("", "low", "a"))).toBe("tiers:\n  low: { profile: a }\n");
  });

  it("refuses what it cannot change without guessing, saying to change it by hand", () => {
    for (const file of [
      "tiers: [low]\n",
      "tiers:\n  low: x\n",
      "tiers:\n  low: { profile: [a] }\n",
      "anchor: &t { profile: a }\ntiers:\n  low: *t\n",
      "{ tiers: {} }\n",
      "- a list\n",
      "tiers: {\n",
    ]) {
      const edit = setTierProfile(file, "low", "b");
      expect(edit.ok, file).toBe(false);
      if (!edit.ok) expect(edit.message).toMatch(/^mallex cannot change this file for you: .+; change it by hand$/);
    }
  });
});

describe("addProfile", () => {
  const fields = { backend: "embedded", model: "/home/me/.mallex/models/x y.gguf", params_b: 1.5, size: "small", context_window: 32768 };

  it("puts a profiles section before the tiers and their heading comment, and keeps the rest", () => {
    const text = ok(addProfile(INIT_FILE, "x-y", fields));
    const at = text.indexOf("profiles:");
    expect(text.slice(0, at)).toBe(INIT_FILE.slice(0, INIT_FILE.indexOf("# --- Effort tiers")));
    expect(text.slice(at)).toBe(
      `profiles:\n  x-y:\n    backend: embedded\n    model: /home/me/.mallex/models/x y.gguf\n    params_b: 1.5\n    size: small\n    context_window: 32768\n\n${INIT_FILE.slice(INIT_FILE.indexOf("# --- Effort tiers"))}`,
    );
    expect(parse(text).profiles["x-y"]).toEqual(fields);
  });

  it("adds after the last profile, spaced as the others are", () => {
    const spaced = "profiles:\n  a:\n    backend: mlx\n\n  b:\n    backend: mlx # last\ntiers: { low: { profile: a } }\n";
    expect(ok(addProfile(spaced, "c", { backend: "embedded" }))).toBe(
      "profiles:\n  a:\n    backend: mlx\n\n  b:\n    backend: mlx # last\n\n  c:\n    backend: embedded\ntiers: { low: { profile: a } }\n",
    );
    const tight = "profiles:\n    a: { backend: mlx }\n    b: { backend: mlx }";
    expect(ok(addProfile(tight, "c", { backend: "embedded" }))).toBe(
      "profiles:\n    a: { backend: mlx }\n    b: { backend: mlx }\n    c:\n      backend: embedded\n",
    );
  });

  it("refuses a name that is taken and flow-style profiles", () => {
    expect(addProfile("profiles:\n  a: { backend: mlx }\n", "a", {}).ok).toBe(false);
    expect(addProfile("profiles: { a: { backend: mlx } }\n", "b", {}).ok).toBe(false);
  });
});

describe("unifiedDiff", () => {
  const labels = { from: "a", to: "b" };
  it("is empty for the same text, and says a missing last newline", () => {
    expect(unifiedDiff("x\n", "x\n", labels)).toBe("");
    expect(unifiedDiff("x", "y", labels)).toBe("--- a\n+++ b\n@@ -1 +1 @@\n-x\n\\ No newline at end of file\n+y\n\\ No newline at end of file\n");
  });

  it("gives two changes far apart a hunk each, and a pure insertion the line it follows", () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join("\n") + "\n";
    const after = before.replace("line 2\n", "line 2\nnew A\n").replace("line 18\n", "LINE 18\n");
    expect(unifiedDiff(before, after, labels)).toBe(
      [
        "--- a",
        "+++ b",
        "@@ -1,5 +1,6 @@",
        " line 1",
        " line 2",
        "+new A",
        " line 3",
        " line 4",
        " line 5",
        "@@ -15,6 +16,6 @@",
        " line 15",
        " line 16",
        " line 17",
        "-line 18",
        "+LINE 18",
        " line 19",
        " line 20",
        "",
      ].join("\n"),
    );
    expect(unifiedDiff("a\nb\n", "a\nb\nc\n", labels, 0)).toBe("--- a\n+++ b\n@@ -2,0 +3 @@\n+c\n");
    expect(unifiedDiff("", "a\n", labels)).toBe("--- a\n+++ b\n@@ -0,0 +1 @@\n+a\n");
  });
});
