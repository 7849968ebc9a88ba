/**
 * `tools.run_named_commands`: a user's request that quotes a command in backticks and asks for it to
 * be run, or says it fails ("Run `node tools/fingerprint.js` and tell me…", "`npm test` fails…",
 * "`node app.js` crashes on start") is answered by mallex itself with a Bash call of that command,
 * beside the Reads of tools.read_named_files; the model is asked once the output is in the conversation.
 * The real Qwen2.5-Coder-1.5B, asked to run a command and report its output, read the script and made
 * up an output instead; asked to fix what a command shows failing, it edited without ever seeing the
 * failure. Up to MAX_COMMANDS, in the order quoted.
 */
export const MAX_COMMANDS = 2;

/** The tool Claude Code runs commands with. */
export const BASH_TOOL = "Bash";

/** A quoted span: `…` on one line. */
const QUOTED = /`([^`\n]{2,200})`/g;

/**
 * The programs a command to run starts with: interpreters, package managers' scripts, test runners and
 * build tools, or a path to a program (`./run.sh`). A quoted identifier (`to_roman`), a file name or
 * a shell built-in is no command.
 */
const RUNNER =
  /^(?:node|npm|npx|yarn|pnpm|bun|deno|tsx|python3?|pytest|uv|go|cargo|make|bash|sh|ruby|bundle|rake|php|perl|java|mvn|gradle|\.\/gradlew|dotnet|swift|tsc|jest|vitest|mocha|\.{1,2}\/[\w./-]+)(?:\s|$)/;

/** Words of a sentence that ask for its command to be run, or say that it fails as it is. */
const RUN_CUE = /\b(?:run|running|execute|fails?|failing|crash(?:es|ing)?|broken|errors? out|throws)\b/i;

/** Words before a command in its sentence that ask for it not to be run. */
const NEGATION = /\b(?:don['’]t|do not|never|without|avoid|instead of|not)\b/i;

/** The commands the user's words ask to run (each once), in the order quoted: none where none is asked for. */
export function namedCommands(words: string): string[] {
  const commands: string[] = [];
  for (const sentence of words.split(/(?<=[.!?])\s+|\n+/)) {
    if (!RUN_CUE.test(sentence)) continue;
    for (const match of sentence.matchAll(QUOTED)) {
      const command = match[1]!.trim();
      if (!RUNNER.test(command) || NEGATION.test(sentence.slice(0, match.index))) continue;
      if (!commands.includes(command)) commands.push(command);
      if (commands.length === MAX_COMMANDS) return commands;
    }
  }
  return commands;
}
