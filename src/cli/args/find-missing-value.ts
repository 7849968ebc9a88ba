import type { ArgDef, ArgsDef } from "citty";

export interface MissingValue {
  /** As the user wrote it: `--embedded`, `-m`. */
  option: string;
  /** The option's declared long name, for the message: `embedded`. */
  name: string;
  /** Its `valueHint` (`gguf`, `n`), when it has one. */
  valueHint?: string;
}

/**
 * The first string option given without a value. citty turns a bare `--embedded` into "" and the
 * command then reads "" as a path (the current folder); node:util takes the next word as the value
 * even when it is another option, so `--embedded --port 4000` would look for a model named
 * `--port`. Missing: the last word, the word before `--`, `--name=` (empty), and a value that is
 * itself one of the command's options, or "". Words after `--` are not mallex's.
 */
export function findMissingValue(rawArgs: readonly string[], args: ArgsDef): MissingValue | undefined {
  const strings = new Map<string, [string, ArgDef]>();
  const known = new Set<string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const spelling of [name, camelCase(name), kebabCase(name), ...aliases]) {
      const flag = spelling.length === 1 ? `-${spelling}` : `--${spelling}`;
      known.add(flag);
      if (def.type === "boolean") known.add(`--no-${spelling}`);
      if (def.type === "string" || def.type === "enum") strings.set(flag, [name, def]);
    }
  }
  const end = rawArgs.indexOf("--") === -1 ? rawArgs.length : rawArgs.indexOf("--");
  const missing = (option: string, [name, def]: [string, ArgDef]): MissingValue => ({
    option,
    name,
    ...("valueHint" in def && def.valueHint ? { valueHint: def.valueHint } : {}),
  });
  for (let i = 0; i < end; i++) {
    const word = rawArgs[i]!;
    if (!word.startsWith("-") || word === "-") continue;
    const equals = word.indexOf("=");
    if (word.startsWith("--") && equals !== -1) {
      const option = strings.get(word.slice(0, equals));
      if (option && equals === word.length - 1) return missing(word.slice(0, equals), option);
      continue;
    }
    // A short group (`-fn 5`, `-n5`): its first string letter takes the rest of the word, or the next word when it is last.
    const flag = word.startsWith("--") ? word : shortStringFlag(word, strings);
    const option = flag === undefined ? undefined : strings.get(flag);
    if (flag === undefined || !option) continue;
    const next = rawArgs[i + 1];
    if (i + 1 >= end || next === undefined || next === "" || known.has(next.split("=")[0]!)) return missing(flag, option);
    i++;
  }
  return undefined;
}

/** In a short group, the first letter that is a string option (`-n` in `-fn`): the rest of the word, if any, is its value. */
function shortStringFlag(word: string, strings: Map<string, unknown>): string | undefined {
  for (let j = 1; j < word.length; j++) {
    if (strings.has(`-${word[j]}`)) return j === word.length - 1 ? `-${word[j]}` : undefined;
  }
  return undefined;
}

const camelCase = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
const kebabCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
