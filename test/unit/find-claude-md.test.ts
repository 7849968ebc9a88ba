import { describe, expect, it } from "vitest";
import { CLAUDE_MD_SECTION, findClaudeMd } from "../../src/trim/system-prompt/working-directory.js";

const INTRO =
  "Codebase and user instructions are shown below. Be sure to adhere to these instructions. IMPORTANT: These instructions OVERRIDE any default behavior and you MUST follow them exactly as written.";
const DISCLAIMER =
  "      IMPORTANT: this context may or may not be relevant to your tasks. You should not respond to this context unless it is highly relevant to your task.";
const unit = (text: string) => ({ path: "messages.0.content.0 (reminder 1)", text });

describe("findClaudeMd: the CLAUDE.md files of Claude Code's opening reminders, by structure", () => {
  it("2.1.100–2.1.197: the claudeMd part of the context reminder, up to its next part; the user's own headings stay in", () => {
    const files =
      "Contents of /home/ada/app/CLAUDE.md (project instructions, checked into the codebase):\n\n# Project notes\n- Keep answers short.\n\n## Testing\nnpm test";
    const text = `As you answer the user's questions, you can use the following context:\n# claudeMd\n${INTRO}\n\n${files}\n# currentDate\nToday's date is 2026-11-25.\n\n${DISCLAIMER}\n`;
    const [found, ...more] = findClaudeMd([unit(text)], "/home/ada/app");
    expect(more).toEqual([]);
    expect(found).toEqual({
      id: CLAUDE_MD_SECTION,
      text: "Contents of CLAUDE.md:\n\n# Project notes\n- Keep answers short.\n\n## Testing\nnpm test",
      charsCut: 0,
      from: "messages.0.content.0 (reminder 1)",
      // Claude Code's heading and sentence go with the files; the date's part stays for its own rule.
      matched: `# claudeMd\n${INTRO}\n\n${files}`,
    });
    expect(text).toContain(found!.matched);
  });

  it("2.1.330: a reminder of its own, to its end; a user's file and the project's, each labelled; a path outside the working directory stays whole", () => {
    const text = `${INTRO}\n\nContents of /home/ada/.claude/CLAUDE.md (user's private global instructions for all projects):\n\n- Answer in French.\n\nContents of /home/ada/app/CLAUDE.md (project instructions, checked into the codebase):\n\n# Notes\n- Use pnpm.`;
    expect(findClaudeMd([unit(text)], "/home/ada/app")[0]?.text).toBe(
      "Contents of /home/ada/.claude/CLAUDE.md:\n\n- Answer in French.\n\nContents of CLAUDE.md:\n\n# Notes\n- Use pnpm.",
    );
    expect(findClaudeMd([unit(text)], "/home/ada/app")[0]?.matched).toBe(text);
  });

  it("ends before the disclaimer when CLAUDE.md is the reminder's last part", () => {
    const text = `# claudeMd\n${INTRO}\n\nContents of /srv/x/CLAUDE.md (project instructions, checked into the codebase):\n\n- Be brief.\n\n${DISCLAIMER}`;
    expect(findClaudeMd([unit(text)], undefined)[0]?.text).toBe("Contents of /srv/x/CLAUDE.md:\n\n- Be brief.");
  });

  it("finds nothing without Claude Code's sentence or its labelled files, and leaves a user's own 'Contents of' line as written", () => {
    expect(findClaudeMd([unit("Contents of /srv/x/CLAUDE.md:\n\n- Be brief.")], "/srv/x")).toEqual([]);
    expect(findClaudeMd([unit(`${INTRO}\n\nnothing labelled here`)], "/srv/x")).toEqual([]);
    const text = `${INTRO}\n\nContents of /srv/x/CLAUDE.md (project instructions, checked into the codebase):\n\nContents of the release (what ships):\n- dist/`;
    expect(findClaudeMd([unit(text)], "/srv/x")[0]?.text).toBe("Contents of CLAUDE.md:\n\nContents of the release (what ships):\n- dist/");
  });
});
