// @ts-check
/**
 * What Python's `json` module does that `JSON` does not, as far as the fake needs it:
 * `json.dumps` spacing and `ensure_ascii`, the int/float distinction of number literals
 * (`0` is an int, `0.0` a float, and mlx-lm.server's validation cares), and truthiness.
 */

/**
 * `json.dumps(value)` with Python's defaults: `", "` / `": "` separators and, unless
 * `ensureAscii` is false, every non-ASCII character escaped as `\uXXXX`.
 * @param {unknown} value
 * @param {boolean} [ensureAscii]
 * @returns {string}
 */
export function dumpsPython(value, ensureAscii = true) {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return dumpsString(value, ensureAscii);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "NaN";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (Array.isArray(value)) return `[${value.map((v) => dumpsPython(v, ensureAscii)).join(", ")}]`;
  const entries = Object.entries(/** @type {Record<string, unknown>} */ (value)).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${dumpsString(k, ensureAscii)}: ${dumpsPython(v, ensureAscii)}`).join(", ")}}`;
}

/**
 * @param {string} text
 * @param {boolean} ensureAscii
 */
function dumpsString(text, ensureAscii) {
  const json = JSON.stringify(text);
  if (!ensureAscii) return json;
  return json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/**
 * For each number written directly as a value of the top-level object, whether Python would
 * parse it as an `int` or a `float` (JavaScript cannot tell `1` from `1.0` after parsing).
 * Assumes `text` is valid JSON.
 * @param {string} text
 * @returns {Map<string, "int" | "float">}
 */
export function topLevelNumberKinds(text) {
  /** @type {Map<string, "int" | "float">} */
  const kinds = new Map();
  let depth = 0;
  /** @type {"key" | "value" | "other"} */
  let expect = "other";
  let key = "";
  let i = 0;
  while (i < text.length) {
    const ch = text.charAt(i);
    if (ch === '"') {
      let j = i + 1;
      while (j < text.length && text.charAt(j) !== '"') j += text.charAt(j) === "\\" ? 2 : 1;
      if (depth === 1 && expect === "key") key = JSON.parse(text.slice(i, j + 1));
      expect = "other";
      i = j + 1;
      continue;
    }
    if (depth === 1 && expect === "value" && /[-0-9]/.test(ch)) {
      const literal = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))?.[0] ?? ch;
      kinds.set(key, /[.eE]/.test(literal) ? "float" : "int");
      expect = "other";
      i += literal.length;
      continue;
    }
    if (ch === "{" || ch === "[") depth += 1;
    else if (ch === "}" || ch === "]") depth -= 1;
    if (depth === 1 && (ch === "{" || ch === ",")) expect = "key";
    else if (depth === 1 && ch === ":") expect = "value";
    else if (depth !== 1) expect = "other";
    i += 1;
  }
  return kinds;
}

/**
 * Python's `bool(value)` for JSON values.
 * @param {unknown} value
 */
export function isTruthyPython(value) {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === "object") return Object.keys(value).length > 0;
  return Boolean(value);
}

/**
 * Python's `type(value).__name__` for JSON values, for error messages.
 * @param {unknown} value
 * @param {"int" | "float"} [numberKind]
 */
export function pythonTypeName(value, numberKind = "int") {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number") return numberKind;
  return Array.isArray(value) ? "list" : "dict";
}
