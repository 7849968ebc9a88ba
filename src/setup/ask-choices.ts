import type { TierName } from "../../generated/config.js";
import { MallexError } from "../shared/mallex-error.js";
import type { Ask } from "./create-prompt.js";
import { parseTierList } from "./plan-tiers.js";
import { fitsInRam, type LocalProfile } from "./recommend-profile.js";

/** Questions asked again this many times on an answer we cannot read, then init stops. */
const MAX_TRIES = 3;

/** Numbered list of the local profiles, the recommended one marked; Enter keeps it. */
export async function askProfile(
  ask: Ask,
  print: (line: string) => void,
  profiles: readonly LocalProfile[],
  recommended: LocalProfile,
  ramGb: number,
): Promise<LocalProfile> {
  print("Models (profiles of the shipped default), by the memory they need:");
  profiles.forEach((p, i) => {
    const mark = p.name === recommended.name ? "  ← recommended" : ramGb > 0 && !fitsInRam(p, ramGb) ? "  (more than this machine has)" : "";
    print(`  ${i + 1}. ${p.name.padEnd(24)} ${String(p.minRamGb).padStart(3)} GB  ${p.description ?? p.model}${mark}`);
  });
  return retry(
    ask,
    `Model [1-${profiles.length} or a name, Enter for ${recommended.name}]: `,
    print,
    (answer) => {
      if (answer === "") return recommended;
      const byNumber = /^\d+$/.test(answer) ? profiles[Number(answer) - 1] : undefined;
      return byNumber ?? profiles.find((p) => p.name === answer);
    },
    "type a number from the list or a profile name",
  );
}

/** Which tiers go to the Anthropic API; none unless the user names some. */
export async function askClaudeTiers(ask: Ask, print: (line: string) => void): Promise<TierName[]> {
  print("Tiers: low (background calls, small edits), medium (the default), high (design, hard debugging).");
  return retry(
    ask,
    "Tiers that go to Claude on the Anthropic API [none, or e.g. high / medium,high]: ",
    print,
    (answer) => {
      const parsed = parseTierList(answer);
      return parsed.unknown.length === 0 ? parsed.tiers : undefined;
    },
    "name tiers among low, medium, high (comma-separated), or none",
  );
}

/** Asked only when the default variable is unset: keep it (and export it later) or name another one. */
export async function askApiKeyEnv(ask: Ask, print: (line: string) => void, defaultName: string): Promise<string> {
  print(`${defaultName} is not set. mallex reads the key from the environment when it starts; it never writes it to a file.`);
  return retry(
    ask,
    `Press Enter to use ${defaultName} (export it before \`mallex run\`), or type the variable that holds your key: `,
    print,
    (answer) => {
      if (answer === "") return defaultName;
      return /^[A-Za-z_][A-Za-z0-9_]*$/.test(answer) ? answer : undefined;
    },
    "type a variable name such as ANTHROPIC_API_KEY (the key itself does not go here)",
  );
}

async function retry<T>(ask: Ask, question: string, print: (line: string) => void, read: (answer: string) => T | undefined, help: string): Promise<T> {
  for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
    const value = read((await ask(question)).trim());
    if (value !== undefined) return value;
    print(`  ${help}`);
  }
  throw new MallexError("E_USAGE", `mallex init stopped after ${MAX_TRIES} unreadable answers; nothing was written (try \`mallex init --help\`).`);
}
