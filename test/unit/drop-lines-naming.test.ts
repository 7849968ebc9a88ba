import { describe, expect, it } from "vitest";
import { dropLinesNaming } from "../../src/trim/shape-tools.js";

const GLOB = "- Fast file pattern matching\n- Returns matching file paths\n- For an open ended search, use the Agent tool instead";

describe("dropLinesNaming: a built-in's description without lines naming a tool the model lacks", () => {
  it("drops the lines that name a removed tool, whole words only", () => {
    expect(dropLinesNaming(GLOB, new Set(["Agent"]))).toBe("- Fast file pattern matching\n- Returns matching file paths");
    expect(dropLinesNaming("Track work with TaskCreate.\nOr ask the Task tool.", new Set(["Task"]))).toBe("Track work with TaskCreate.");
    expect(dropLinesNaming("Search with mcp__github__search.\nRead files.", new Set(["mcp__github__search"]))).toBe("Read files.");
  });

  it("keeps the text as it is when nothing is removed, nothing matches, or nothing would be left", () => {
    expect(dropLinesNaming(GLOB, new Set())).toBe(GLOB);
    expect(dropLinesNaming(GLOB, new Set(["WebFetch"]))).toBe(GLOB);
    expect(dropLinesNaming("Launch the Agent tool.", new Set(["Agent"]))).toBe("Launch the Agent tool.");
  });
});
