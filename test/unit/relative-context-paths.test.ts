import { describe, expect, it } from "vitest";
import { relativeContextPaths, workingDirectoryOf } from "../../src/trim/system-prompt/working-directory.js";
import type { AnthropicMessageParam } from "../../src/translate/anthropic-types.js";

const ENVIRONMENT = "# Environment\n - Primary working directory: /home/ada/app\n - Is a git repository: true";

describe("workingDirectoryOf", () => {
  it("reads Claude Code's environment line in the system prompt, else in the opening reminders", () => {
    expect(workingDirectoryOf(`You are Claude Code.\n\n${ENVIRONMENT}`, [])).toBe("/home/ada/app");
    expect(workingDirectoryOf("You are Claude Code.", [{ path: "messages.0.content.0 (reminder 1)", text: ENVIRONMENT.replace("/app", "/app/") }])).toBe(
      "/home/ada/app",
    );
    expect(workingDirectoryOf("no environment", [])).toBeUndefined();
    expect(workingDirectoryOf(` - Primary working directory: /${"x".repeat(5000)}`, [])).toBeUndefined();
  });
});

describe("relativeContextPaths", () => {
  const opening = (text: string): AnthropicMessageParam[] => [
    {
      role: "user",
      content: [
        { type: "text", text },
        { type: "text", text: "Read hello.txt and tell me what it says." },
      ],
    },
    { role: "assistant", content: "Contents of /home/ada/app/CLAUDE.md:" },
  ];

  it("writes the labels of CLAUDE.md files under the working directory relative to it, nothing else", () => {
    const text = [
      "Contents of /home/ada/app/CLAUDE.md:\n\n# Project notes",
      "Contents of /home/ada/app/web/CLAUDE.md (project instructions, checked into the codebase):\n\nUse pnpm.",
      "Contents of /home/ada/.claude/CLAUDE.md (user's private global instructions for all projects):\n\nBe brief.",
      "Contents of /home/ada/application/CLAUDE.md:\n\nanother folder",
      "See Contents of /home/ada/app/CLAUDE.md: in the middle of a line",
    ].join("\n\n");
    const conversation = opening(text);
    const { messages, hits } = relativeContextPaths(conversation, "/home/ada/app");
    const first = messages[0]!.content as { text: string }[];
    expect(first[0]!.text).toBe(
      [
        "Contents of CLAUDE.md:\n\n# Project notes",
        "Contents of web/CLAUDE.md (project instructions, checked into the codebase):\n\nUse pnpm.",
        "Contents of /home/ada/.claude/CLAUDE.md (user's private global instructions for all projects):\n\nBe brief.",
        "Contents of /home/ada/application/CLAUDE.md:\n\nanother folder",
        "See Contents of /home/ada/app/CLAUDE.md: in the middle of a line",
      ].join("\n\n"),
    );
    expect(hits).toEqual([{ rule: "relative-paths", target: "messages.0.content.0", charsRemoved: 2 * "/home/ada/app/".length }]);
    // The user's words and the model's own answers are left as they are, the same objects.
    expect(first[1]).toBe((conversation[0]!.content as unknown[])[1]);
    expect(messages[1]).toBe(conversation[1]);
  });

  it("leaves a conversation with nothing to change as the same objects", () => {
    const conversation = opening("Contents of /elsewhere/CLAUDE.md:\n\nx");
    const { messages, hits } = relativeContextPaths(conversation, "/home/ada/app");
    expect(messages[0]).toBe(conversation[0]);
    expect(hits).toEqual([]);
  });

  it("takes the working directory literally, whatever characters its name has", () => {
    const { messages } = relativeContextPaths(
      [{ role: "user", content: "Contents of /tmp/a+b (1)/CLAUDE.md:\nContents of /tmp/aab (1)/CLAUDE.md:" }],
      "/tmp/a+b (1)",
    );
    expect(messages[0]!.content).toBe("Contents of CLAUDE.md:\nContents of /tmp/aab (1)/CLAUDE.md:");
  });
});
