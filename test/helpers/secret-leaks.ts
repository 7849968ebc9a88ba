import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";

/**
 * A check that no part of a secret shows anywhere: `fragments` are the keys and recognisable pieces
 * of them, so that a log which cut or escaped a key would still be caught.
 */
export function secretLeakCheck(fragments: readonly string[]): (where: string, text: string) => void {
  return (where, text) => {
    for (const fragment of fragments) expect(text.includes(fragment), `${where} contains a key (${fragment})`).toBe(false);
  };
}

/** Every file under `dir`, with its text (read as latin1: any bytes come back). */
export function filesUnder(dir: string): Array<[string, string]> {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .map((path) => [path, readFileSync(path, "latin1")]);
}
