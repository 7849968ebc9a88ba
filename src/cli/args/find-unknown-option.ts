import type { ArgsDef } from "citty";
import { suggestName } from "../../config/suggest-name.js";

export interface UnknownOption {
  /** As the user wrote it, without a value: `--chek`, `-x`. */
  option: string;
  /** The declared long option it is closest to, when one is close enough: `--check`. */
  suggestion?: string;
}

/**
 * The first option in a command's arguments that its `args` do not declare. citty ignores unknown
 * flags, so a typo (`mallex compile --chek`) would silently run something else. Parsed as citty
 * (node:util parseArgs) parses: names, aliases and their camelCase/kebab-case forms; `--no-x` for a
 * boolean; `--name=value`; short groups like `-yf`; the word after a string option is its value even
 * when it starts with `-`. Words after `--` are not mallex's (`mallex run -- --resume`).
 */
export function findUnknownOption(rawArgs: readonly string[], args: ArgsDef): UnknownOption | undefined {
  const strings = new Set<string>();
  const booleans = new Set<string>();
  const longNames: string[] = [];
  const mainName = new Map<string, string>();
  for (const [name, def] of Object.entries(args)) {
    if (def.type === "positional") continue;
    const alias = "alias" in def ? def.alias : undefined;
    const aliases = alias === undefined ? [] : Array.isArray(alias) ? alias : [alias];
    for (const spelling of [name, camelCase(name), kebabCase(name), ...aliases]) {
      (def.type === "boolean" ? booleans : strings).add(spelling);
      mainName.set(spelling, name);
    }
    longNames.push(name, ...aliases.filter((alias) => alias.length > 1));
  }

  for (let i = 0; i < rawArgs.length; i++) {
    const word = rawArgs[i]!;
    if (word === "--") return undefined;
    if (!word.startsWith("-") || word === "-") continue;
    if (word.startsWith("--")) {
      const equals = word.indexOf("=");
      const name = word.slice(2, equals === -1 ? undefined : equals);
      if (strings.has(name)) {
        if (equals === -1) i++; // its value
      } else if (!booleans.has(name) && !(name.startsWith("no-") && booleans.has(name.slice(3)))) {
        const suggestion = suggestName(name, longNames);
        return { option: `--${name}`, ...(suggestion !== undefined ? { suggestion: `--${suggestion}` } : {}) };
      }
      continue;
    }
    // A long alias with one dash (-np) parses as a group of letters (-n -p): never what was meant.
    const spelling = word.slice(1).split("=")[0]!;
    if (spelling.length > 1 && mainName.has(spelling)) return { option: `-${spelling}`, suggestion: `--${mainName.get(spelling)}` };
    // A short group: booleans may be combined (-yf); a string option takes the rest, or the next word.
    for (let j = 1; j < word.length; j++) {
      const letter = word[j]!;
      if (strings.has(letter)) {
        if (j === word.length - 1) i++;
        break;
      }
      if (!booleans.has(letter)) return { option: `-${letter}` };
    }
  }
  return undefined;
}

const camelCase = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());
const kebabCase = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
