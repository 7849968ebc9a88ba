/**
 * `${VAR}` and `${VAR:-default}` in config strings. `$${` writes a literal `${`.
 * Pure: the environment is passed in, and failures come back as data with their offset in the string.
 */

export type EnvLookup = Readonly<Record<string, string | undefined>>;

export type InterpolationResult =
  { ok: true; value: string; used: string[] } | { ok: false; offset: number; kind: "unset" | "syntax"; message: string; hint: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function interpolateEnv(text: string, env: EnvLookup): InterpolationResult {
  let out = "";
  const used: string[] = [];
  let i = 0;
  while (i < text.length) {
    const start = text.indexOf("$", i);
    if (start === -1) {
      out += text.slice(i);
      break;
    }
    out += text.slice(i, start);
    if (text.startsWith("$${", start)) {
      out += "${";
      i = start + 3;
      continue;
    }
    if (text[start + 1] !== "{") {
      out += "$";
      i = start + 1;
      continue;
    }
    const close = text.indexOf("}", start);
    if (close === -1) {
      return { ok: false, offset: start, kind: "syntax", message: `unterminated "\${" in "${text}"`, hint: "close it with }, or write $${ for a literal ${" };
    }
    const body = text.slice(start + 2, close);
    const sep = body.indexOf(":-");
    const name = sep === -1 ? body : body.slice(0, sep);
    if (!NAME.test(name)) {
      return {
        ok: false,
        offset: start,
        kind: "syntax",
        message: `"\${${body}}" is not a valid environment reference`,
        hint: "write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _",
      };
    }
    used.push(name);
    const value = env[name];
    if (value !== undefined && value !== "") out += value;
    else if (sep !== -1) out += body.slice(sep + 2);
    else {
      return {
        ok: false,
        offset: start,
        kind: "unset",
        message: `environment variable ${name} is not set`,
        hint: `set ${name}, or give a default: \${${name}:-value}`,
      };
    }
    i = close + 1;
  }
  return { ok: true, value: out, used };
}

/** A string that is exactly one reference (`${PORT:-4141}`) takes the type its value reads as. */
export function isWholeReference(text: string): boolean {
  return /^\$\{[^}]*\}$/.test(text);
}

export function coerceScalar(value: string): string | number | boolean {
  if (/^-?(0|[1-9]\d*)(\.\d+)?$/.test(value)) return Number(value);
  if (value === "true") return true;
  if (value === "false") return false;
  return value;
}
