import { call, invalid, text } from "./corpus-entry.js";
import type { CorpusEntry } from "./corpus-entry.js";

// As Gemma 3 answers Google's function-calling prompt: the call alone in a `tool_code` fence.
const READ = '```tool_code\nRead(file_path="/src/a.ts", limit=20)\n```';
const TWO = '```tool_code\nGlob(pattern="src/**/*.ts")\nGrep(pattern=\'TODO\', path="src")\n```';
const PRINTED = '```tool_code\nprint(default_api.Bash(command="ls -la"))\n```';
// A Markdown fence inside a string argument does not close the block.
const WRITE = '```tool_code\nWrite(file_path="/r.md", content="# T\\n```sh\\nls\\n```\\n", dry_run=False)\n```';
const UNICODE = '```tool_code\nWrite(file_path="/ü.txt", content="naïve — 😀", meta={"tags": ["a", "b"], "n": 1.5})\n```';
const CUT = '```tool_code\nRead(file_path="/src';
const POSITIONAL = '```tool_code\nRead("/src/a.ts")\n```';

export const gemma3Corpus: readonly CorpusEntry[] = [
  {
    name: "the call alone",
    input: READ,
    expected: [call("Read", { file_path: "/src/a.ts", limit: 20 }, READ, false)],
  },
  {
    name: "prose then a call",
    input: `I'll read it.\n\n${READ}`,
    expected: [text("I'll read it.\n\n"), call("Read", { file_path: "/src/a.ts", limit: 20 }, READ, false)],
  },
  {
    name: "two calls, one per line",
    input: TWO,
    expected: [call("Glob", { pattern: "src/**/*.ts" }, TWO, false), call("Grep", { pattern: "TODO", path: "src" }, TWO, false)],
  },
  {
    name: "print() and default_api. unwrapped",
    input: PRINTED,
    expected: [call("Bash", { command: "ls -la" }, PRINTED, false)],
  },
  {
    name: "backticks inside a string argument",
    input: WRITE,
    expected: [call("Write", { file_path: "/r.md", content: "# T\n```sh\nls\n```\n", dry_run: false }, WRITE, false)],
  },
  {
    name: "unicode and nested arguments",
    input: UNICODE,
    expected: [call("Write", { file_path: "/ü.txt", content: "naïve — 😀", meta: { tags: ["a", "b"], n: 1.5 } }, UNICODE, false)],
  },
  {
    name: "cut off",
    input: CUT,
    expected: [invalid(CUT, "the tool call is cut off")],
  },
  {
    name: "a positional argument is not a call it can run",
    input: POSITIONAL,
    expected: [invalid(POSITIONAL, "the tool call has a positional argument")],
  },
  {
    name: "other fences are text",
    input: 'Run:\n```python\nRead(file_path="x")\n```\n',
    expected: [text('Run:\n```python\nRead(file_path="x")\n```\n')],
  },
];
