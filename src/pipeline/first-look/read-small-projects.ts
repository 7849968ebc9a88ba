import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { blocksOf, toolCallsOf, toolResultText } from "../../translate/tool-calls/conversation-blocks.js";
import { absolute } from "./read-named-files.js";

/**
 * `tools.read_small_projects`: a user's request that names nothing to look at (no file, command or
 * name of the code: "Which function in this project deletes files from disk?") is answered by mallex
 * with a Glob of the project's source and text files; once its result is in, where they are few (up
 * to MAX_SMALL_PROJECT), mallex reads them all, and the model is asked with the whole project in front
 * of it. A larger project's list stays for the model to choose from. The real Qwen2.5-Coder-1.5B,
 * asked such a question, answered at once with a guess ("Delete") and no tool call.
 */
export const MAX_SMALL_PROJECT = 5;

export const GLOB_TOOL = "Glob";

/** The Glob mallex sends: the files a developer reads to learn a project (code, its config and notes). */
export const PROJECT_FILES = { pattern: "**/*.{py,js,mjs,cjs,ts,tsx,jsx,go,rs,java,kt,rb,php,c,h,cc,cpp,cs,swift,sh,json,toml,yaml,yml,md}" };

/** Where no project file may be read: installed packages, build output, version control. */
const NOT_THE_PROJECTS = /\/(?:node_modules|\.git|dist|build|target|\.venv|venv|__pycache__)\//;

/**
 * The files to read after mallex's Glob (the conversation's last turn: the call with exactly
 * PROJECT_FILES, then its result), as absolute paths under `folder`: all of them where there are 1 to
 * MAX_SMALL_PROJECT, none otherwise (or where the Glob was not mallex's).
 */
export function smallProjectFiles(turns: readonly AnthropicMessageParam[], folder: string): string[] {
  const [asked, answered] = turns.slice(-2);
  if (asked?.role !== "assistant" || answered?.role !== "user") return [];
  const glob = toolCallsOf(asked).find((call) => call.name === GLOB_TOOL && JSON.stringify(call.input) === JSON.stringify(PROJECT_FILES));
  const result = glob === undefined ? undefined : blocksOf(answered).find((block) => block.type === "tool_result" && block.tool_use_id === glob.id);
  if (result?.type !== "tool_result" || result.is_error === true) return [];
  const files = toolResultText(result.content)
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /^[^\s(<][^\n]*\.\w+$/.test(line))
    .map((line) => absolute(folder, line))
    .filter((path) => path.startsWith(`${folder}/`) && !NOT_THE_PROJECTS.test(path.slice(folder.length)));
  return files.length <= MAX_SMALL_PROJECT ? [...new Set(files)] : [];
}
