import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, Scalar, visit, type Document, type Node } from "yaml";
import { diagnostic, type Diagnostic } from "./diagnostics.js";
import { coerceScalar, interpolateEnv, isWholeReference, type EnvLookup } from "./interpolate-env.js";
import { hasUrlPassword, takesEnvAtCompile } from "./env-compiled-fields.js";
import { recordOrigin, type Origins, type SourcePosition } from "./source-position.js";
import { SECRET_NAME } from "./secret-name.js";

export interface ParsedYamlFile {
  value: unknown;
  diagnostics: Diagnostic[];
  /** Environment variables the file read, for the input hash. */
  envUsed: string[];
}

export interface ParseYamlOptions {
  /** The file as shown in messages. */
  displayPath: string;
  env: EnvLookup;
  origins: Origins;
}

/**
 * What generated/ may hold of the environment (generated/ is committed and shared, so it must never
 * hold a secret):
 * - the credential fields (api_key, auth_token, any headers value) keep their `${VAR}` text, whatever
 *   the variable's name, and mallex resolves them when it starts;
 * - the settings listed in env-compiled-fields.ts get the variable's value compiled in, unless the
 *   variable's name looks like a secret (SECRET_NAME) or the value is a URL with a password: that is
 *   an error (env-secret-in-field), never a value written to disk;
 * - every other field refuses `${VAR}` (env-in-uncompiled-field): default deny.
 * Resolving every field at start instead would make every string in the table a template (a literal
 * `$${` could no longer be told apart) and leave numbers and enums unchecked until run time.
 */
/** Syntax-checks a deferred secret's references without requiring the variables at compile time. */
const EVERY_VARIABLE_SET: EnvLookup = new Proxy({}, { get: () => "set" });

function isDeferredSecret(path: readonly string[]): boolean {
  const key = path.at(-1);
  return key === "api_key" || key === "auth_token" || path.at(-2) === "headers";
}

/**
 * yaml's `maxAliasCount` (its default, 100): an alias may be resolved at most this many times, each
 * weighted by the nodes it copies. The shipped config's anchors (&environment-pattern…) use a handful.
 */
const MAX_ALIAS_COUNT = 100;

/** Parses one YAML file into plain data, recording where every value was written. */
export function parseYamlFile(source: string, options: ParseYamlOptions): ParsedYamlFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const position = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: options.displayPath, line, col };
  };
  const diagnostics: Diagnostic[] = [];
  for (const error of doc.errors) {
    const [start] = error.linePos ?? [];
    const pos = start ? { file: options.displayPath, line: start.line, col: start.col } : position(error.pos[0]);
    diagnostics.push(diagnostic("yaml-syntax", pos, firstLine(error.message), "fix the YAML syntax at this position"));
  }
  if (diagnostics.length > 0) return { value: undefined, diagnostics, envUsed: [] };
  // The walk below expands aliases itself; yaml's own toJS counts them first and stops a "billion
  // laughs" file (each alias doubling the last) after a few hundred nodes, not gigabytes later.
  try {
    doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    if (!(error instanceof ReferenceError)) throw error;
    const message = `the file's aliases (*name) expand to too much data (yaml's limit: ${MAX_ALIAS_COUNT})`;
    return {
      value: undefined,
      diagnostics: [
        diagnostic("yaml-alias-limit", firstAliasAt(doc, position) ?? position(0), message, "write the repeated values out, or use fewer nested aliases"),
      ],
      envUsed: [],
    };
  }

  const envUsed = new Set<string>();
  const convert = (node: Node | null | undefined, path: string[]): unknown => {
    if (isAlias(node)) return convert(node.resolve(doc as Document) as Node | undefined, path);
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key as Node | null;
        const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
        const valueNode = pair.value as Node | null;
        out[key] = convert(valueNode, [...path, key]);
        recordOrigin(options.origins, out, key, {
          key: position(keyNode?.range?.[0] ?? 0),
          value: position(valueNode?.range?.[0] ?? keyNode?.range?.[1] ?? 0),
        });
      }
      return out;
    }
    if (isSeq(node)) {
      const out: unknown[] = [];
      node.items.forEach((item, index) => {
        const itemNode = item as Node | null;
        out.push(convert(itemNode, [...path, String(index)]));
        recordOrigin(options.origins, out, index, { value: position(itemNode?.range?.[0] ?? node.range?.[0] ?? 0) });
      });
      return out;
    }
    if (isScalar(node)) return convertScalar(node, path);
    return null;
  };

  const convertScalar = (node: Scalar, path: string[]): unknown => {
    if (typeof node.value !== "string" || !node.value.includes("${")) return node.value;
    const text = node.value;
    const quoted = node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE ? 1 : 0;
    const blockScalar = node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL;
    const at = (offset: number) => position((node.range?.[0] ?? 0) + (blockScalar ? 0 : quoted + offset));
    const deferred = isDeferredSecret(path);
    if (!deferred && !takesEnvAtCompile(path)) {
      const names = interpolateEnv(text, EVERY_VARIABLE_SET);
      const name = names.ok ? names.used[0] : undefined;
      if (name !== undefined) {
        diagnostics.push(
          diagnostic(
            "env-in-uncompiled-field",
            at(Math.max(0, text.indexOf(`\${${name}`))),
            `${path.join(".")} does not take \${${name}}: its value would be written into generated/, and only settings (addresses, paths, model ids, numbers) take the environment there`,
            "write the text itself (a literal ${ is $${); credentials go in api_key, auth_token or headers, read when mallex starts",
          ),
        );
        return text;
      }
    }
    if (!deferred) {
      const names = interpolateEnv(text, EVERY_VARIABLE_SET);
      const secret = names.ok ? names.used.find((name) => SECRET_NAME.test(name)) : undefined;
      if (secret !== undefined) {
        diagnostics.push(
          diagnostic(
            "env-secret-in-field",
            at(Math.max(0, text.indexOf(`\${${secret}`))),
            `\${${secret}} looks like a secret, and ${path.join(".")} is compiled into generated/ with its value`,
            `use it in api_key, auth_token or headers (kept as \${${secret}} and read when mallex starts); if it holds no secret, give the variable a name without KEY, TOKEN, SECRET, PASSWORD or CREDENTIAL`,
          ),
        );
        return text;
      }
    }
    const result = interpolateEnv(text, deferred ? EVERY_VARIABLE_SET : options.env);
    if (!result.ok) {
      diagnostics.push(diagnostic(result.kind === "unset" ? "env-unset" : "env-syntax", at(result.offset), result.message, result.hint));
      return text;
    }
    if (deferred) return text;
    if (result.used.length > 0 && hasUrlPassword(result.value)) {
      diagnostics.push(
        diagnostic(
          "env-secret-in-field",
          at(Math.max(0, text.indexOf("${"))),
          `${path.join(".")} would be compiled into generated/ with a password in its URL (from \${${result.used[0]}})`,
          "leave the password out of the URL and send the credential with api_key or headers, read when mallex starts",
        ),
      );
      return text;
    }
    for (const name of result.used) envUsed.add(name);
    return isWholeReference(text) ? coerceScalar(result.value) : result.value;
  };

  const value = convert(doc.contents as Node | null, []);
  return { value: value ?? {}, diagnostics, envUsed: [...envUsed].sort() };
}

function firstAliasAt(doc: Document, position: (offset: number) => SourcePosition): SourcePosition | undefined {
  let at: SourcePosition | undefined;
  visit(doc, {
    Alias: (_key, node) => {
      at = position(node.range?.[0] ?? 0);
      return visit.BREAK;
    },
  });
  return at;
}

function firstLine(message: string): string {
  // yaml's pretty errors append the offending source lines; the position already points there.
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}
