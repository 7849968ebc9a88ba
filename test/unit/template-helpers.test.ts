import { describe, expect, it } from "vitest";
import { createTemplates } from "../../src/templates/create-templates.js";

const ENVIRONMENT = " - Primary working directory: /repo\n - Is a git repository: true\n - Platform: linux\n - Shell: bash\n - OS Version: Linux 6.1";

describe("lines_with and lines_without", () => {
  it("part a section's lines by labels, in order, as the shipped templates part the machine's from the repository's", () => {
    const templates = createTemplates({
      machine: '{{lines_with env "- Platform:" "- Shell:" "- OS Version:"}}',
      session: '{{lines_without env "- Platform:" "- Shell:" "- OS Version:"}}',
    });
    expect(templates.render("machine", { env: ENVIRONMENT })).toBe(" - Platform: linux\n - Shell: bash\n - OS Version: Linux 6.1");
    expect(templates.render("session", { env: ENVIRONMENT })).toBe(" - Primary working directory: /repo\n - Is a git repository: true");
    expect(templates.render("machine", {})).toBe("");
  });

  it("lines_without leaves no two blank lines together where it dropped a paragraph's one line (the git user from the git section)", () => {
    const templates = createTemplates({ git: '{{lines_without git "Git user:"}}' });
    const git = "Current branch: main\n\nGit user: Ada\n\nStatus:\n(clean)";
    expect(templates.render("git", { git })).toBe("Current branch: main\n\nStatus:\n(clean)");
  });
});
