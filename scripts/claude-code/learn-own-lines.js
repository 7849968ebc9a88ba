// `npm run learn:claude-code`: learns which system-prompt lines are Claude Code's own, from the real
// CLIs installed as devDependencies (the pinned, the newest and the older release), each captured
// offline (capture-request.js; interactive sessions in tmux, capture-interactive.js) in the settings
// its users run it with, and writes their prints (src/trim/claude-code/line-print.ts) to
// src/trim/claude-code/claude-code-own-lines.ts. Trimming keeps every other line of a Claude Code
// system prompt as the user's (--append-system-prompt, --system-prompt, output styles, MCP servers'
// instructions): it removes Claude Code's text, never the user's. A release not learned here is
// learned by `mallex run` from the installed CLI, with the same library function (ownLinesOfRequest).
// What is learned stops at "gitStatus:" (the repository's own state follows) and leaves out the
// sentence the capture appends to learn how the SDK entry point words Claude Code's first line.
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ownLinesOfRequest } from "#dist/trim/claude-code/own-lines-of-request.js";
import { captureInteractiveRequestCached, hasTmux } from "./capture-interactive.js";
import { captureFirstRequestCached, installedClaudeCode } from "./capture-request.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = `${ROOT}src/trim/claude-code/claude-code-own-lines.ts`;
const PACKAGES = ["@anthropic-ai/claude-code", "claude-code-newest", "claude-code-older"];
const MARKER = "Reply in the language of the question, mallex-learning-marker.";
export const SMALL_CONTEXT_ENV = {
  ENABLE_TOOL_SEARCH: "false",
  ANTHROPIC_MODEL: "mallex/gguf-qwen2.5-coder-1.5b",
  CLAUDE_CODE_MAX_CONTEXT_TOKENS: "38600",
  CLAUDE_CODE_AUTO_COMPACT_WINDOW: "38600",
};

/**
 * The settings each release is captured in: as installed, and as users and mallex change it.
 * @type {({ name: string } & Pick<import("./capture-request.js").CaptureOptions, "env" | "args" | "subagent" | "files">)[]}
 */
export const LEARNING_SETTINGS = [
  { name: "as installed", env: {}, args: [] },
  { name: "tool search off", env: { ENABLE_TOOL_SEARCH: "false" }, args: [] },
  { name: "as mallex run launches it", env: { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" }, args: [] },
  // A small model's window (claudeContextEnv for an 8,000-token budget) makes Claude Code list skills by name alone.
  { name: "as mallex run launches it for a small model (input budget 8,000: a 38,600-token window)", env: SMALL_CONTEXT_ENV, args: [] },
  { name: "with an appended system prompt", env: {}, args: ["--append-system-prompt", MARKER] },
  { name: "in plan mode", env: {}, args: ["--permission-mode", "plan"] },
  { name: "with tools allowed by flag", env: {}, args: ["--allowedTools", "Agent,Task,Read"] },
  // An output style's own text is the user's (it holds only the marker); what Claude Code says around it is its own.
  {
    name: "with an output style",
    env: {},
    args: [],
    files: {
      ".claude/settings.json": JSON.stringify({ outputStyle: "Learned style" }),
      ".claude/output-styles/learned.md": `---\nname: Learned style\ndescription: ${MARKER}\n---\n${MARKER}\n`,
    },
  },
  // Claude Code's own subagents have prompts of their own; a user's agent (.claude/agents) stays the user's.
  ...["Explore", "Plan", "general-purpose"].map((type) => ({
    name: `its ${type} subagent`,
    env: {},
    args: ["--allowedTools", "Agent,Task,Read,Glob,Grep,Bash"],
    subagent: type,
  })),
  // The prompt's wording follows the model the user picks (/model, --model).
  ...["claude-sonnet-4-6", "claude-opus-4-6", "claude-haiku-4-5-20251001"].map((model) => ({ name: `on ${model}`, env: { ANTHROPIC_MODEL: model }, args: [] })),
];

/**
 * The interactive sessions each release is captured in (capture-interactive.js: the real CLI in a
 * terminal), which `mallex run` starts and users type into: Claude Code names itself otherwise there,
 * hints at `! <command>`, lists built-in agents a `-p` run does not (claude-code-guide), and sends
 * more tools where non-essential traffic is allowed.
 * @type {({ name: string } & Pick<import("./capture-interactive.js").InteractiveCaptureOptions, "env" | "nonessentialTraffic">)[]}
 */
export const INTERACTIVE_SETTINGS = [
  { name: "interactive", env: {} },
  { name: "interactive, non-essential traffic allowed", env: {}, nonessentialTraffic: true },
  { name: "interactive, as mallex run launches it", env: { ENABLE_TOOL_SEARCH: "false", ANTHROPIC_MODEL: "mallex/qwen3-coder-30b" } },
  { name: "interactive, as mallex run launches it for a small model", env: SMALL_CONTEXT_ENV },
];

if (!hasTmux()) throw new Error("tmux is not installed: the interactive sessions cannot be learned (apt-get install tmux)");

const prints = new Set();
const learned = [];
for (const name of PACKAGES) {
  const installed = installedClaudeCode(name);
  if (installed === undefined) {
    console.error(`${name} is not installed (npm ci): not learned`);
    continue;
  }
  for (const setting of LEARNING_SETTINGS) {
    const { body } = await captureFirstRequestCached({
      bin: installed.bin,
      version: installed.version,
      env: setting.env,
      args: setting.args,
      subagent: setting.subagent,
      files: setting.files,
    });
    const before = prints.size;
    learn(body);
    console.error(`${installed.version}, ${setting.name}: ${prints.size - before} new lines`);
  }
  for (const setting of INTERACTIVE_SETTINGS) {
    const { body } = await captureInteractiveRequestCached({ bin: installed.bin, version: installed.version, ...setting });
    const before = prints.size;
    learn(body);
    console.error(`${installed.version}, ${setting.name}: ${prints.size - before} new lines`);
  }
  learned.push(installed.version);
}

writeFileSync(
  OUT,
  `// Written by \`npm run learn:claude-code\` (scripts/claude-code/learn-own-lines.js): do not edit.
/** The Claude Code releases whose system prompts were learned, in every setting the script lists. */
export const LEARNED_CLAUDE_CODE_RELEASES = ${JSON.stringify(learned)} as const;

/** The prints (linePrint) of every line those releases write in their system prompt before "gitStatus:". */
export const CLAUDE_CODE_OWN_LINES: ReadonlySet<string> = new Set(
  ${JSON.stringify([...prints].sort().join(" "))}.split(" "),
);
`,
);
console.error(`${OUT}: ${prints.size} lines of ${learned.join(", ")}`);

/** Adds the prints of a captured request's own lines (the library's ownLinesOfRequest, which `mallex run` learns an unseen release with). */
function learn(body) {
  for (const print of ownLinesOfRequest(body, MARKER)) prints.add(print);
}
