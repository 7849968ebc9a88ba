/**
 * JSON as models write it when asked for a value inside XML: strict JSON first, then the Python
 * literal style they fall back to (`['a', 'b']`, `{'k': True, 'n': None}`, trailing commas).
 * Only rewrites tokens outside strings, so quotes and words inside values survive.
 */

export type LenientJsonResult = { readonly ok: true; readonly value: unknown } | { readonly ok: false };

const PYTHON_WORDS: Readonly<Record<string, string>> = { True: "true", False: "false", None: "null" };

const PYTHON_ESCAPES: Readonly<Record<string, string>> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "\\": "\\",
  "'": "'",
  '"': '"',
};

function tryParse(text: string): LenientJsonResult {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false };
  }
}

/** Index just past the string opening at `from` (either quote), or the end of the text. */
function stringEnd(text: string, from: number): number {
  const quote = text[from];
  for (let i = from + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === quote) return i + 1;
  }
  return text.length;
}

function decodeSingleQuoted(body: string): string {
  return body.replace(/\\(.)/gs, (escape, char: string) => PYTHON_ESCAPES[char] ?? escape);
}

/** Rewrites Python-literal syntax into JSON; the result may still be invalid, JSON.parse decides. */
function pythonLiteralToJson(text: string): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const char = text.charAt(i);
    if (char === '"' || char === "'") {
      const end = stringEnd(text, i);
      const body = text.slice(i + 1, end - 1);
      out += char === '"' ? text.slice(i, end) : JSON.stringify(decodeSingleQuoted(body));
      i = end;
    } else if (/[A-Za-z_]/.test(char)) {
      const word = /^[A-Za-z_]\w*/.exec(text.slice(i))?.[0] ?? char;
      out += PYTHON_WORDS[word] ?? word;
      i += word.length;
    } else if (char === "," && /^,\s*[}\]]/.test(text.slice(i))) {
      i++; // a trailing comma, which Python allows and JSON does not
    } else {
      out += char;
      i++;
    }
  }
  return out;
}

export function parseLenientJson(text: string): LenientJsonResult {
  const strict = tryParse(text);
  return strict.ok ? strict : tryParse(pythonLiteralToJson(text));
}
