import { suggestName } from "../../config/suggest-name.js";

/**
 * Commands a user may reach for by another word: `serve` and `start` are how other tools name what
 * `mallex proxy` and `mallex run` do, and no spelling distance finds those.
 */
const SYNONYMS: Readonly<Record<string, string>> = { serve: "proxy", start: "run", launch: "run", setup: "init", check: "doctor", validate: "compile" };

/**
 * The one line for `mallex <word>` when no command is called that: what was wrong, the commands it
 * likely meant (by meaning, then by spelling), and where the list is. A word that starts with `-` is
 * an option mallex has not got, not a command.
 *
 * @example
 * describeUnknownCommand("serve", ["proxy", "server", "run"]) // 'mallex: unknown command "serve" (did you mean `mallex proxy` or `mallex server`? `mallex --help` lists the commands)'
 */
export function describeUnknownCommand(word: string, commands: readonly string[]): string {
  const help = "`mallex --help` lists the commands";
  if (word.startsWith("-")) return `mallex: unknown option ${word} (${help})`;
  const lower = word.toLowerCase();
  const meant = [SYNONYMS[lower], suggestName(word, commands)].filter((name): name is string => name !== undefined && commands.includes(name));
  const unique = [...new Set(meant)];
  const guess = unique.length === 0 ? "" : `did you mean ${unique.map((name) => `\`mallex ${name}\``).join(" or ")}? `;
  return `mallex: unknown command "${word}" (${guess}${help})`;
}
