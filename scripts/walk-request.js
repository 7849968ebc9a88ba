// Walks the request path the way a reader taking the code over follows it: from the route's binding,
// every call that hands on the server's context or the request's scope (as an argument, or as the
// object a method or callback is read from), into the function called, depth first, each function
// read once. A callback read off the context (server.onSession, scope.available) is followed to what
// the context was built with. It prints the files the walk visits, how often it climbs back up into a
// file still open further up the walk, and how often it comes back to a file it had already left. A
// third walk also follows every value made from the context (the request read with the server's
// validator, its text, what a call given any of them returns): the whole reach of a request.
//
//   node scripts/walk-request.js [--root <dir>] [--start <file>#<function>] [--verbose]
//
// test/request-walk.test.ts holds the path to it: no climb, no file returned to more than twice (the
// first two walks), and no more files than it has now (all three).
import { relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { LAYOUT_RULES } from "./layout-rules.js";

/** @type {typeof import("./walk-request.js").MESSAGES_ROUTE} */
export const MESSAGES_ROUTE = "src/server/routes/messages.ts#messagesRoute";

/**
 * Both walks of the request from `start` in the tree at `root`.
 * @type {typeof import("./walk-request.js").walkRequest}
 */
export function walkRequest({ root, start = MESSAGES_ROUTE }) {
  const ROOT = root;
  const [startFile, startName] = start.split("#");

  /** The types that are "the context": what the walk follows. */
  const CONTEXT_TYPE = /\b(ServerContext|RequestScope)\b/;

  const configPath = resolve(ROOT, "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (config === undefined) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram(
    config.fileNames.filter((file) => file.startsWith(resolve(ROOT, "src"))),
    config.options,
  );
  const checker = program.getTypeChecker();
  const sources = program.getSourceFiles().filter((file) => file.fileName.startsWith(resolve(ROOT, "src")));
  const fileOf = (node) => relative(ROOT, node.getSourceFile().fileName);

  const isFunctionLike = (node) =>
    ts.isFunctionDeclaration(node) ||
    ts.isMethodDeclaration(node) ||
    ts.isArrowFunction(node) ||
    ts.isFunctionExpression(node) ||
    ts.isConstructorDeclaration(node);

  /** A declaration's function: itself, a variable's arrow or function, an identifier's declaration, a class's constructor. */
  function functionOf(declaration, depth = 0) {
    if (!declaration || depth > 4) return undefined;
    if (isFunctionLike(declaration)) return declaration.body ? declaration : undefined;
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration) || ts.isPropertyDeclaration(declaration)) {
      const init = declaration.initializer;
      if (!init) return undefined;
      if (isFunctionLike(init)) return init;
      if (ts.isIdentifier(init)) return functionOf(declarationOf(init), depth + 1);
      if (ts.isCallExpression(init)) return undefined;
    }
    if (ts.isShorthandPropertyAssignment(declaration)) {
      const symbol = checker.getShorthandAssignmentValueSymbol(declaration);
      return functionOf(symbol?.valueDeclaration ?? symbol?.declarations?.[0], depth + 1);
    }
    if (ts.isClassDeclaration(declaration)) return declaration.members.find(ts.isConstructorDeclaration);
    return undefined;
  }

  function declarationOf(node) {
    let symbol = checker.getSymbolAtLocation(node);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    return symbol?.valueDeclaration ?? symbol?.declarations?.[0];
  }

  /** Every object literal property in src/ that implements a property of an interface, by the interface property's symbol. */
  const implementations = new Map();
  for (const source of sources)
    ts.forEachChild(source, function visit(node) {
      if (ts.isObjectLiteralExpression(node)) {
        const contextual = checker.getContextualType(node);
        if (contextual)
          for (const property of node.properties) {
            const name = property.name && ts.isIdentifier(property.name) ? property.name.text : undefined;
            const target = name && contextual.getProperty(name);
            const fn = target && functionOf(property);
            if (fn) for (const declaration of target.declarations ?? []) implementations.set(declaration, [...(implementations.get(declaration) ?? []), fn]);
          }
      }
      ts.forEachChild(node, visit);
    });

  const isContext = (expression) => CONTEXT_TYPE.test(checker.typeToString(checker.getTypeAtLocation(expression), undefined, ts.TypeFormatFlags.NoTruncation));
  /** The context itself, or a part of it read off it that has parts or behaviour of its own (server.metrics, scope.server.table; not a number or a string). */
  function carriesContext(expression) {
    if (checker.getTypeAtLocation(expression).flags & (ts.TypeFlags.NumberLike | ts.TypeFlags.StringLike | ts.TypeFlags.BooleanLike)) return false;
    for (let node = expression; ; node = node.expression) {
      if (isContext(node)) return true;
      if (!(ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node) || ts.isNonNullExpression(node) || ts.isParenthesizedExpression(node)))
        return false;
    }
  }

  /** What a call reaches in src/: its function, or for a callback declared on an interface, what implements it. */
  function targetsOf(call) {
    const callee = call.expression;
    const named = ts.isPropertyAccessExpression(callee) ? callee.name : ts.isIdentifier(callee) ? callee : undefined;
    const declaration = named && declarationOf(named);
    if (!declaration) return [];
    const direct = functionOf(declaration);
    const found = direct ? [direct] : (implementations.get(declaration) ?? []);
    return found.filter((fn) => fileOf(fn).startsWith("src/"));
  }

  /** A folder of src/ by its place in the layout (bottom first): a call into a higher one climbs back up. */
  const LAYERS = Object.keys(LAYOUT_RULES);
  const layerOf = (file) => LAYERS.indexOf(file.split("/")[1] ?? "");

  /**
   * One walk. A call into another file is a move: into a file still open further up the walk, or into
   * a higher folder of the layout, it climbs back up; into a file the walk had entered and left, it
   * returns. Every call is a move (a reader sent to the same file from three places goes there three
   * times); a function is read once.
   */
  function walkFrom(startFn, { carries, derived = false }) {
    const read = new Set();
    const stack = [];
    const entries = new Map([[fileOf(startFn), 1]]);
    const lines = [];
    let climbs = 0;
    let returns = 0;
    /** With `derived`: the parameters and variables of the functions read that hold a value made from the context. */
    const held = new Set();
    const carried = (expression) => carries(expression) || (derived && madeFromContext(expression, held));
    const follows = (call) => (call.arguments ?? []).some(carried) || (ts.isPropertyAccessExpression(call.expression) && carried(call.expression.expression));
    (function walk(fn, heldArguments = []) {
      read.add(fn);
      stack.push(fn);
      if (derived)
        fn.parameters.forEach((parameter, index) => {
          if (heldArguments[index]) for (const symbol of boundSymbols(parameter.name)) held.add(symbol);
        });
      ts.forEachChild(fn.body, function visit(node) {
        if (derived && ts.isVariableDeclaration(node) && node.initializer && carried(node.initializer))
          for (const symbol of boundSymbols(node.name)) held.add(symbol);
        if (
          derived &&
          ts.isBinaryExpression(node) &&
          node.operatorToken.kind === ts.SyntaxKind.EqualsToken &&
          ts.isIdentifier(node.left) &&
          carried(node.right)
        )
          for (const symbol of boundSymbols(node.left)) held.add(symbol);
        if ((ts.isCallExpression(node) || ts.isNewExpression(node)) && follows(node))
          for (const target of targetsOf(node)) {
            const from = fileOf(stack.at(-1));
            const to = fileOf(target);
            if (to !== from) {
              const climb = stack.some((frame) => fileOf(frame) === to) || layerOf(to) > layerOf(from);
              if (climb) climbs++;
              else if (entries.has(to)) returns++;
              const entered = (entries.get(to) ?? 0) + 1;
              entries.set(to, entered);
              lines.push(`${"  ".repeat(stack.length)}${climb ? "↑ " : entered > 1 ? "↺ " : ""}${to} (${nameOf(target)})`);
            }
            if (!read.has(target)) walk(target, (node.arguments ?? []).map(carried));
          }
        ts.forEachChild(node, visit);
      });
      stack.pop();
    })(startFn);
    return { files: entries.size, functions: read.size, climbs, returns, entries, lines };
  }

  /** The symbols a name binds: an identifier's, or each of a destructuring pattern's. */
  function boundSymbols(name) {
    if (ts.isIdentifier(name)) return [checker.getSymbolAtLocation(name)].filter(Boolean);
    if (ts.isObjectBindingPattern(name) || ts.isArrayBindingPattern(name))
      return name.elements.flatMap((element) => (ts.isBindingElement(element) ? boundSymbols(element.name) : []));
    return [];
  }

  /**
   * Whether an expression's value is made from the context: a variable or parameter that holds one,
   * read off one, returned by a call given one, or built of one (an object, array, template, a
   * function that closes over one). A value is a value whatever its type: the request's text counts.
   */
  function madeFromContext(expression, held) {
    let found = false;
    (function look(node) {
      if (found) return;
      if (ts.isIdentifier(node)) {
        const symbol = checker.getSymbolAtLocation(node);
        if (symbol && held.has(symbol)) found = true;
        return;
      }
      if (ts.isShorthandPropertyAssignment(node)) {
        const symbol = checker.getShorthandAssignmentValueSymbol(node);
        if (symbol && held.has(symbol)) found = true;
        return;
      }
      if (isContext(node)) {
        found = true;
        return;
      }
      // A property's name is no value read (`x.request` reads x, not a variable named request).
      if (ts.isPropertyAccessExpression(node)) return look(node.expression);
      if (ts.isPropertyAssignment(node)) return look(node.initializer);
      ts.forEachChild(node, look);
    })(expression);
    return found;
  }

  function nameOf(fn) {
    if (fn.name) return fn.name.getText();
    const parent = fn.parent;
    return parent && parent.name ? parent.name.getText() : "(callback)";
  }

  const startSource = sources.find((source) => fileOf(source) === startFile);
  let startFn;
  startSource &&
    ts.forEachChild(startSource, function find(node) {
      if (!startFn && isFunctionLike(node) && nameOf(node) === startName) startFn = node;
      else if (!startFn && ts.isVariableStatement(node))
        node.declarationList.declarations.forEach((d) => d.name.getText() === startName && (startFn = functionOf(d)));
      ts.forEachChild(node, find);
    });
  if (!startFn) throw new Error(`walk-request: no function ${startName} in ${startFile}`);
  return {
    "hands on the context itself": walkFrom(startFn, { carries: isContext }),
    "or a part of it": walkFrom(startFn, { carries: carriesContext }),
    "or a value made from it": walkFrom(startFn, { carries: carriesContext, derived: true }),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const option = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
  const start = option("--start") ?? MESSAGES_ROUTE;
  const walks = walkRequest({ root: resolve(option("--root") ?? resolve(import.meta.dirname, "..")), start });
  console.log(`walk from ${start}:`);
  for (const [name, walk] of Object.entries(walks)) {
    if (args.includes("--verbose")) console.log(walk.lines.join("\n"));
    const reentered = [...walk.entries].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1]);
    console.log(
      `  ${name}: ${walk.files} files, ${walk.functions} functions read; climbs back up ${walk.climbs}, returns to a file it had left ${walk.returns}` +
        (reentered.length ? `; entered more than once: ${reentered.map(([file, n]) => `${file.replace(/^src\//, "")} ${n}`).join(", ")}` : ""),
    );
  }
}
