import Handlebars from "handlebars";
import { BUILTIN_HELPERS, type ContextShape } from "./template-contexts.js";
import { TEMPLATE_HELPER_NAMES } from "./template-helpers.js";

type Node = hbs.AST.Node;

export interface TemplateProblem {
  kind: "syntax" | "unknown-variable" | "unknown-helper";
  line: number;
  col: number;
  message: string;
  hint?: string;
}

const HELPERS = new Set<string>([...BUILTIN_HELPERS, ...TEMPLATE_HELPER_NAMES]);
const DATA_VARIABLES = new Set(["index", "key", "first", "last", "root"]);

/**
 * Names that lead from any object to its prototype and constructor (`{{constructor}}`,
 * `{{sections.__proto__}}`): never a variable mallex provides, refused wherever they appear in a path.
 */
const PROTOTYPE_NAMES = new Set(["__proto__", "constructor", "prototype", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__"]);

/** `shape`'s own member `part` (never one inherited from Object.prototype), or undefined. */
function memberOf(shape: ContextShape, part: string): ContextShape | undefined {
  if (shape === true || Array.isArray(shape) || !Object.hasOwn(shape, part)) return undefined;
  return (shape as Record<string, ContextShape>)[part];
}

/**
 * How deep a template's blocks may nest: far past any prompt template (the shipped ones nest 2),
 * far short of where Handlebars' parser takes seconds (8,000 levels: 56 s before "syntax error 1:1").
 */
export const MAX_TEMPLATE_NESTING = 100;

/** Parses a template once; the AST is both checked and precompiled. Refuses, before parsing, blocks nested past MAX_TEMPLATE_NESTING. */
export function parseTemplate(source: string): { ok: true; program: hbs.AST.Program } | { ok: false; problem: TemplateProblem } {
  const tooDeep = findDeepNesting(source, MAX_TEMPLATE_NESTING);
  if (tooDeep !== undefined) return { ok: false, problem: tooDeep };
  try {
    return { ok: true, program: Handlebars.parse(source) };
  } catch (error) {
    return { ok: false, problem: syntaxProblem(error as Error & { lineNumber?: number; column?: number }, source) };
  }
}

/** Checks that a parsed template reads only variables `shape` provides and calls known helpers. */
export function checkTemplate(program: hbs.AST.Program, shape: ContextShape, kindLabel: string): TemplateProblem[] {
  const problems: TemplateProblem[] = [];

  const lookup = (path: hbs.AST.PathExpression, scopes: readonly ContextShape[]): void => {
    if (path.data) {
      const [head, ...rest] = path.parts;
      if (head === "root") return resolve(path, rest, scopes[0] ?? true);
      if (head === undefined || !DATA_VARIABLES.has(head)) report(path, `@${path.parts.join(".")} is not a Handlebars data variable`);
      return;
    }
    const scope = scopes[scopes.length - 1 - path.depth];
    if (scope === undefined) return report(path, `{{${path.original}}} climbs above the template's root`);
    resolve(path, path.parts, scope);
  };

  const resolve = (path: hbs.AST.PathExpression, parts: readonly string[], scope: ContextShape): void => {
    let shape: ContextShape = scope;
    for (const part of parts) {
      if (PROTOTYPE_NAMES.has(part)) {
        return report(
          path,
          `{{${path.original}}} reaches JavaScript's object prototype ("${part}"), which no template may read`,
          "read only the variables mallex provides",
        );
      }
      const next = memberOf(shape, part);
      if (next === undefined) {
        const available = shape === true || Array.isArray(shape) ? [] : Object.keys(shape);
        return report(
          path,
          `{{${path.original}}} is not provided to ${kindLabel} templates`,
          available.length ? `available here: ${available.join(", ")}` : undefined,
        );
      }
      shape = next;
    }
  };

  const shapeOf = (node: hbs.AST.Expression, scopes: readonly ContextShape[]): ContextShape => {
    if (node.type !== "PathExpression") return true;
    const path = node as hbs.AST.PathExpression;
    if (path.data) return true;
    let shape: ContextShape | undefined = scopes[scopes.length - 1 - path.depth];
    for (const part of path.parts) {
      shape = shape === undefined ? undefined : memberOf(shape, part);
    }
    return shape ?? true;
  };

  const report = (node: Node, message: string, hint?: string): void => {
    problems.push({ kind: "unknown-variable", line: node.loc.start.line, col: node.loc.start.column + 1, message, ...(hint ? { hint } : {}) });
  };

  const checkCall = (node: hbs.AST.MustacheStatement | hbs.AST.BlockStatement | hbs.AST.SubExpression, scopes: readonly ContextShape[]): void => {
    const callee = node.path;
    const isCall = node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0 || node.type !== "MustacheStatement";
    if (callee.type === "PathExpression") {
      const name = (callee as hbs.AST.PathExpression).original;
      if (isCall && !HELPERS.has(name)) {
        problems.push({
          kind: "unknown-helper",
          line: callee.loc.start.line,
          col: callee.loc.start.column + 1,
          message: `helper "${name}" does not exist`,
          hint: `mallex provides: ${[...HELPERS].join(", ")}`,
        });
      } else if (!isCall && !HELPERS.has(name)) lookup(callee as hbs.AST.PathExpression, scopes);
    }
    for (const param of node.params) visitExpression(param, scopes);
    for (const pair of node.hash?.pairs ?? []) visitExpression(pair.value, scopes);
  };

  const visitExpression = (node: hbs.AST.Expression, scopes: readonly ContextShape[]): void => {
    if (node.type === "PathExpression") lookup(node as hbs.AST.PathExpression, scopes);
    else if (node.type === "SubExpression") checkCall(node as hbs.AST.SubExpression, scopes);
  };

  const visit = (node: Node, scopes: readonly ContextShape[]): void => {
    switch (node.type) {
      case "Program":
        for (const child of (node as hbs.AST.Program).body) visit(child, scopes);
        return;
      case "MustacheStatement":
        return checkCall(node as hbs.AST.MustacheStatement, scopes);
      case "BlockStatement": {
        const block = node as hbs.AST.BlockStatement;
        checkCall(block, scopes);
        const helper = block.path.type === "PathExpression" ? (block.path as hbs.AST.PathExpression).original : "";
        const param = block.params[0];
        let inner = scopes;
        if (param && (helper === "each" || helper === "with")) {
          const shape = shapeOf(param, scopes);
          inner = [...scopes, helper === "each" && Array.isArray(shape) ? (shape[0] as ContextShape) : shape];
        }
        if (block.program) visit(block.program, inner);
        if (block.inverse) visit(block.inverse, scopes);
        return;
      }
      case "PartialStatement":
      case "PartialBlockStatement":
      case "DecoratorBlock":
      case "Decorator":
        problems.push({
          kind: "unknown-helper",
          line: node.loc.start.line,
          col: node.loc.start.column + 1,
          message: "partials and decorators are not supported in mallex templates",
          hint: "inline the text, or use {{#each}} / {{#if}}",
        });
        return;
      default:
        return;
    }
  };

  visit(program, [shape]);
  return problems;
}

/** Handlebars reports "Parse error on line N" with a caret under an excerpt whose newlines were removed. */
/**
 * The first block opened past `max` levels, found in one pass over the text: `{{#` and `{{^` open a
 * block (`{{^}}` alone is an else and `{{~#` opens too), `{{/` closes one; a comment's content is
 * skipped; raw `{{{` and everything else move nothing. Only a cheap count: Handlebars still parses
 * what passes.
 */
function findDeepNesting(source: string, max: number): TemplateProblem | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let newline = source.indexOf("\n");
  for (let at = source.indexOf("{{"); at !== -1; at = source.indexOf("{{", at + 2)) {
    while (newline !== -1 && newline < at) {
      line += 1;
      lineStart = newline + 1;
      newline = source.indexOf("\n", lineStart);
    }
    let next = at + 2;
    if (source[next] === "~") next += 1;
    const sigil = source[next];
    if (sigil === "!") {
      // A comment hides what it holds, up to its end: `--}}` for `{{!--`, else the first `}}`.
      const end = source.indexOf(source.startsWith("--", next + 1) ? "--}}" : "}}", next);
      if (end === -1) break;
      at = end;
      continue;
    }
    if (sigil === "/") depth = Math.max(0, depth - 1);
    else if (sigil === "#" || (sigil === "^" && !/^\^\s*~?\}\}/.test(source.slice(next, next + 8)))) {
      depth += 1;
      if (depth > max)
        return {
          kind: "syntax",
          line,
          col: at - lineStart + 1,
          message: `blocks nested deeper than ${max} levels`,
          hint: "a prompt template needs a few levels; split it or flatten its blocks",
        };
    }
  }
  return undefined;
}

function syntaxProblem(error: Error & { lineNumber?: number; column?: number }, source: string): TemplateProblem {
  const lines = error.message.split("\n");
  const headline = lines[0] ?? error.message;
  if (error.lineNumber !== undefined) {
    return { kind: "syntax", line: error.lineNumber, col: (error.column ?? 0) + 1, message: headline.replace(/ - \d+:\d+$/, "") };
  }
  const line = Number(/on line (\d+)/.exec(headline)?.[1] ?? 1);
  const excerpt = (lines[1] ?? "").replace(/^\.\.\./, "");
  const caret = (lines[2] ?? "").indexOf("^") - ((lines[1] ?? "").startsWith("...") ? 3 : 0);
  const before = excerpt.slice(0, Math.max(0, caret));
  const text = source.split("\n")[line - 1] ?? "";
  let col = 1;
  for (let k = text.length; k > 0; k--) {
    if (before.endsWith(text.slice(0, k))) {
      col = k + 1;
      break;
    }
  }
  const expected = lines.at(-1)?.startsWith("Expecting") ? `: ${lines.at(-1)}` : "";
  return { kind: "syntax", line, col, message: `template syntax error${expected}` };
}
