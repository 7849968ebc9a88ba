import type { RuntimeBackend } from "../backends/resolve-backends.js";
import type { RoutingTable } from "../compile/routing-table.js";
import type { EnvLookup } from "../config/interpolate-env.js";
import { SECRET_NAME } from "../config/secret-name.js";

/** What a redacted value reads as, in debug lines and the saved last request. */
export const REDACTED = "[redacted]";

/**
 * Shorter values are not redacted where they appear in text: a local server's placeholder key
 * (`none`, `x`) would otherwise blank every occurrence of the word in a saved prompt. Header values
 * are redacted by the header's name whatever their length.
 */
const MIN_SECRET_CHARS = 6;

/** Headers that carry credentials by their name alone. */
const CREDENTIAL_HEADER = /^(?:authorization|proxy-authorization|x-api-key|api-key|cookie|set-cookie)$/i;

/** Credentials by their shape, whoever put them there: `Bearer …` and Anthropic/OpenAI-style keys. */
const BEARER = /\b(Bearer)\s+[^\s"'\\,]+/gi;
const API_KEY_SHAPE = /\bsk-[A-Za-z0-9_-]{16,}/g;

export interface Redactor {
  /** The text with every known secret, bearer token and API-key-shaped string replaced by {@link REDACTED}. */
  text(text: string): string;
  /** Headers with credential headers (by name, or by a secret-like name) redacted whole and the rest through `text`. */
  headers(headers: Iterable<[string, string]> | Readonly<Record<string, string>>): Record<string, string>;
}

/**
 * The values to keep out of debug lines and saved requests: each backend's API key, header values
 * and the local token that came from `${VAR}` in the config (compile keeps those fields as `${VAR}`
 * and mallex resolves them when it starts: see parse-yaml-file.ts), and any environment variable
 * whose name looks like a credential's (ANTHROPIC_API_KEY, HF_TOKEN…), configured or not.
 */
export function collectSecrets(
  table: RoutingTable,
  backends: Readonly<Record<string, RuntimeBackend>>,
  env: EnvLookup,
  authToken: string | undefined,
): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    if (value !== undefined && value.length >= MIN_SECRET_CHARS) secrets.add(value);
  };
  add(authToken);
  for (const backend of Object.values(backends)) {
    add(backend.apiKey);
    const configured = table.backends[backend.name]?.headers ?? {};
    for (const [name, value] of Object.entries(backend.headers)) {
      if (configured[name]?.includes("${") || SECRET_NAME.test(name)) add(value);
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (SECRET_NAME.test(name)) add(value);
  }
  // Longest first: a secret that contains another is replaced whole.
  return [...secrets].sort((a, b) => b.length - a.length);
}

export function createRedactor(secrets: readonly string[]): Redactor {
  // Each secret as it appears in text and inside a JSON string (where `"` and `\` are escaped).
  const forms = [...new Set(secrets.flatMap((secret) => [secret, JSON.stringify(secret).slice(1, -1)]))];
  const text = (input: string): string => {
    let out = input;
    for (const form of forms) if (out.includes(form)) out = out.split(form).join(REDACTED);
    return out.replace(BEARER, `$1 ${REDACTED}`).replace(API_KEY_SHAPE, REDACTED);
  };
  return {
    text,
    headers(headers) {
      const entries = Symbol.iterator in headers ? [...(headers as Iterable<[string, string]>)] : Object.entries(headers);
      return Object.fromEntries(entries.map(([name, value]) => [name, CREDENTIAL_HEADER.test(name) || SECRET_NAME.test(name) ? REDACTED : text(value)]));
    },
  };
}
