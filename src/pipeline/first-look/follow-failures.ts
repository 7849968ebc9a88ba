import { dirname } from "node:path/posix";
import type { AnthropicMessageParam } from "../../translate/anthropic-types.js";
import { toolCallsOf } from "../../translate/tool-calls/conversation-blocks.js";
import { READ_TOOL, readFiles } from "../../translate/tool-calls/whole-file-write.js";
import { absolute } from "./read-named-files.js";
import { runsIn } from "./check-after-edits.js";

/**
 * `tools.follow_failures`: where a command mallex ran for the user's request (run-named-commands.ts)
 * fails and the request names no file to change ("Fix the bug in stats.py" does), mallex reads the
 * project's files its output points at (a stack trace's frames: `at file:///repo/app.js:3:21`,
 * `File "/repo/test_x.py", line 9`), then the project's files those load (`import … from "./sum.js"`,
 * `require("../src/range.js")`, `readFileSync("config.json")`), as a developer follows a failure to
 * its cause. The model is asked
 * once they are in the conversation, for the file read last (ask-whole-file.ts). The real
 * Qwen2.5-Coder-1.5B, shown `npm test` failing in test/range.test.js, edited the test (which the task
 * forbade) where the bug was in src/range.js; shown `node app.js` failing on config.json's JSON, it
 * edited app.js. Up to MAX_FOLLOWED files a step.
 */
export const MAX_FOLLOWED = 3;

/** A path in a command's output: absolute, with a source or data extension, before a line number (`:3`, `", line 3`). */
const OUTPUT_PATH = /(?:file:\/\/)?(\/[\w./@+-]+?\.[A-Za-z]{1,5})(?=:\d|", line \d)/g;

/** What a source file loads by a relative path (JavaScript and TypeScript imports and requires), and data files it names in quotes. */
const RELATIVE_LOAD = /(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*)["'](\.{1,2}\/[^"'\s]+\.[A-Za-z]{1,5})["']/g;
const DATA_FILE = /["']((?:\.{1,2}\/)?[\w./-]*\w\.(?:json|ya?ml|toml|csv|txt|ini|cfg|env))["']/g;

/**
 * The Reads that follow a failure now (`turns`: the conversation without its `role: "system"`
 * messages; `taskAt`: where the user's request is; `folder`: the working directory; `commands`: those
 * the request names to run): right after the request, a failing run of one, the project files its
 * output names that the conversation has not read; after those Reads, the project files they load.
 * None otherwise, or where all have been read.
 */
export function followFailure(turns: readonly AnthropicMessageParam[], taskAt: number, folder: string, commands: readonly string[]): string[] {
  const since = turns.slice(taskAt + 1);
  const read = new Set(readFiles(turns).map((file) => file.path));
  const output = failedOutput(since.at(-2), since.at(-1), commands);
  if (output !== undefined) return since.length === 2 ? unread(outputFiles(output, folder), read) : [];
  if (since.length !== 4) return [];
  const failed = failedOutput(since[0], since[1], commands);
  const reads = toolCallsOf(since[2]!);
  if (failed === undefined || reads.length === 0 || reads.some((call) => call.name !== READ_TOOL)) return [];
  const followed = new Set(outputFiles(failed, folder));
  const paths = reads.map((call) => (call.input as { file_path?: unknown }).file_path);
  if (!paths.every((path) => typeof path === "string" && followed.has(path))) return [];
  const loaded = readFiles(since.slice(2)).flatMap((file) => loadedFiles(file.text, file.path, folder));
  return unread(loaded, read);
}

/** The project files a command's output names, in the order named, each once: under `folder`, not in node_modules. */
export function outputFiles(output: string, folder: string): string[] {
  const files = [...output.matchAll(OUTPUT_PATH)].map((match) => match[1]!);
  return [...new Set(files)].filter((path) => path.startsWith(`${folder}/`) && !path.includes("/node_modules/"));
}

/** The project files a source file (at `path`) loads by a relative path, and the data files it names (relative to `folder`, where its commands run). */
export function loadedFiles(text: string, path: string, folder: string): string[] {
  const imports = [...text.matchAll(RELATIVE_LOAD)].map((match) => absolute(dirname(path), match[1]!));
  const data = [...text.matchAll(DATA_FILE)].map((match) => absolute(folder, match[1]!));
  return [...new Set([...imports, ...data])].filter((file) => file.startsWith(`${folder}/`) && file !== path);
}

/** The output of the first run of one of `commands` in `asked` that failed (runsIn). */
function failedOutput(asked: AnthropicMessageParam | undefined, answered: AnthropicMessageParam | undefined, commands: readonly string[]): string | undefined {
  if (asked?.role !== "assistant" || answered?.role !== "user") return undefined;
  return runsIn(asked, answered, commands).find((run) => run.failed)?.output;
}

function unread(paths: readonly string[], read: ReadonlySet<string>): string[] {
  return paths.filter((path) => !read.has(path)).slice(0, MAX_FOLLOWED);
}
