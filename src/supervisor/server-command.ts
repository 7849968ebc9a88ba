/**
 * The declared command line, made runnable: split like a POSIX shell would split words (quotes and
 * backslashes, no expansion, no shell started), then the placeholders filled in per word, so a model
 * path with spaces or a JSON `--chat-template-args '{"a": 1}'` stays one argument.
 */

export interface CommandValues {
  port: number;
  model: string;
  host: string;
  /** The venv directory, for `{venv}/bin/mlx_lm.server`. */
  venv?: string;
  draftModel?: string;
  /** How to run this mallex (`node …/bin/mallex.js`): the program `{mallex}` stands for. */
  mallex?: readonly string[];
  /** The folder for saved slots (slotSaveDir): `{slot_dir}`. */
  slotDir?: string;
}

/** Splits a command string into words: 'single' and "double" quotes, backslash escapes, no expansion. */
export function splitCommand(command: string): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote === "'") {
      if (ch === "'") quote = undefined;
      else word += ch;
    } else if (quote === '"') {
      if (ch === '"') quote = undefined;
      else if (ch === "\\" && i + 1 < command.length && '"\\$`'.includes(command[i + 1]!)) word += command[++i];
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === "\\" && i + 1 < command.length) {
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} quote in the server command: ${command}`);
  if (inWord) words.push(word);
  return words;
}

/**
 * The argv to run: words with {port} {model} {host} {venv} {draft_model} {slot_dir} replaced, and a word that is
 * exactly {mallex} replaced by the words that run this mallex. A word that needs {draft_model} or
 * {venv} when there is none is dropped, with the flag before it.
 */
export function buildServerArgv(command: string, values: CommandValues): string[] {
  const known: Record<string, string | undefined> = {
    port: String(values.port),
    model: values.model,
    host: values.host,
    venv: values.venv,
    draft_model: values.draftModel,
    slot_dir: values.slotDir,
  };
  const argv: string[] = [];
  for (const word of splitCommand(command)) {
    if (word === "{mallex}") {
      if (!values.mallex) throw new Error("the server command uses {mallex}, which has no value here");
      argv.push(...values.mallex);
      continue;
    }
    let missing: string | undefined;
    const filled = word.replace(/\{(port|model|host|venv|draft_model|slot_dir)\}/g, (_, name: string) => {
      const value = known[name];
      if (value === undefined) missing = name;
      return value ?? "";
    });
    if (missing === undefined) argv.push(filled);
    else if (argv.length === 0) throw new Error(`the server command's program uses {${missing}}, which has no value here`);
    else if (argv.length > 1 && argv.at(-1)!.startsWith("-")) argv.pop();
  }
  if (argv.length === 0) throw new Error("the server command is empty");
  return argv;
}

export const CONTEXT_FLAGS = ["-c", "--ctx-size"];

/** The context size the command asks for (`-c N`, `--ctx-size N`, `--ctx-size=N`), if any. */
export function contextSizeOf(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    const inline = /^--ctx-size=(\d+)$/.exec(word);
    if (inline) return Number(inline[1]);
    if (CONTEXT_FLAGS.includes(word) && /^\d+$/.test(argv[i + 1] ?? "")) return Number(argv[i + 1]);
  }
  return undefined;
}

/** The same argv with its context size replaced (no change when it declares none). */
export function withContextSize(argv: readonly string[], size: number): string[] {
  return argv.map((word, i) => {
    if (/^--ctx-size=\d+$/.test(word)) return `--ctx-size=${size}`;
    const previous = argv[i - 1];
    return previous !== undefined && CONTEXT_FLAGS.includes(previous) && /^\d+$/.test(word) ? String(size) : word;
  });
}

/** A command line for display and for the pidfile: words quoted where a shell would need it. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((word) => (/^[\w@%+=:,./{}-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)).join(" ");
}
