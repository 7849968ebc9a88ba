// Checks src/'s layout: no import circle between files, and every import between folders allowed by
// scripts/layout-rules.js (imports flow one way; ARCHITECTURE.md is the map). Type-only imports count:
// a circle of types is still two files that cannot be read, moved or split one without the other.
//
//   node scripts/check-layout.js [--src DIR]     exit 1 and one line per problem when the layout breaks
//
// Imports are read by TypeScript's own pre-processor (static, type-only, re-exports and import() with
// a literal), so no regex decides what an import is.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { LAYOUT_RULES } from "./layout-rules.js";

/** @import { LayoutProblem } from "./check-layout.js" */

const SOURCE = /\.(ts|mts)$/;

/** @type {typeof import("./check-layout.js").checkLayout} */
export function checkLayout({ srcDir, rules = LAYOUT_RULES }) {
  const root = resolve(srcDir);
  const files = listSources(root);
  const graph = new Map(files.map((file) => [file, importsOf(root, file)]));
  /** @type {(LayoutProblem & { file?: string })[]} */
  const problems = [...checkTable(rules)];

  const folders = new Set(files.map(folderOf));
  for (const folder of [...folders].sort()) {
    if (folder === "") continue;
    if (!(folder in rules))
      problems.push({
        kind: "unknown-folder",
        message: `src/${folder}/ is not in scripts/layout-rules.js: say what it may import there (and in ARCHITECTURE.md)`,
      });
  }
  for (const file of files) {
    if (folderOf(file) === "" && file !== "index.ts")
      problems.push({ kind: "loose-file", message: `src/${file} sits in src/ itself: only index.ts (the public API) does; give it a folder` });
  }

  for (const [file, targets] of graph) {
    const from = folderOf(file);
    if (from === "") continue; // index.ts, the public API, may re-export any folder
    for (const target of targets) {
      const to = folderOf(target);
      if (to === from || !(from in rules)) continue;
      if (!rules[from]?.includes(to)) {
        const allowed = rules[from]?.length ? rules[from].map((f) => `${f}/`).join(", ") : "no other folder";
        problems.push({ kind: "direction", file, message: `src/${file} imports src/${target}: ${from}/ may import ${allowed}` });
      }
    }
  }

  // A circle is shown from each file in it whose import goes against the table: usually the culprit.
  const upward = new Set(problems.filter((p) => p.kind === "direction").map((p) => p.file));
  for (const circle of findCircles(graph, (file) => upward.has(file)))
    problems.push({ kind: "circle", message: `import circle: ${circle.map((f) => `src/${f}`).join(" → ")}` });
  return { files: files.length, problems: problems.map(({ kind, message }) => ({ kind, message })) };
}

/**
 * The table must itself be one-way: a circle of allowed folders would let a circle of files through.
 * @param {Readonly<Record<string, readonly string[]>>} rules
 */
function checkTable(rules) {
  /** @type {LayoutProblem[]} */
  const problems = [];
  for (const [folder, allowed] of Object.entries(rules)) {
    for (const other of allowed)
      if (!(other in rules))
        problems.push({ kind: "table", message: `scripts/layout-rules.js: ${folder}/ may import ${other}/, which the table does not list` });
  }
  const graph = new Map(Object.entries(rules).map(([folder, allowed]) => [folder, allowed.filter((other) => other in rules)]));
  for (const circle of findCircles(graph))
    problems.push({ kind: "table", message: `scripts/layout-rules.js allows a circle: ${circle.map((f) => `${f}/`).join(" → ")}` });
  return problems;
}

function listSources(root, dir = root, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listSources(root, path, out);
    else if (SOURCE.test(name)) out.push(relative(root, path).split(sep).join("/"));
  }
  return out;
}

/** The files under src/ one file imports (relative specifiers only; `.js` names the `.ts` it is built from). */
function importsOf(root, file) {
  const text = readFileSync(join(root, file), "utf8");
  const { importedFiles } = ts.preProcessFile(text, true, true);
  const targets = new Set();
  for (const { fileName } of importedFiles) {
    if (!fileName.startsWith("./") && !fileName.startsWith("../")) continue;
    const path = resolve(root, dirname(file), fileName);
    for (const candidate of [path, path.replace(/\.js$/, ".ts"), path.replace(/\.mjs$/, ".mts"), `${path}.ts`, join(path, "index.ts")]) {
      const inside = relative(root, candidate);
      if (inside.startsWith("..") || !SOURCE.test(candidate)) continue;
      if (isFile(candidate)) {
        targets.add(inside.split(sep).join("/"));
        break;
      }
    }
  }
  return [...targets].sort();
}

function isFile(path) {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** A file's top folder under src/ ("" for src/ itself). */
function folderOf(file) {
  const slash = file.indexOf("/");
  return slash < 0 ? "" : file.slice(0, slash);
}

/**
 * The circles of a graph, found per strongly connected component (Tarjan): for each, the shortest
 * path that closes it from each preferred member (else from its first member by name). Enough to find
 * every tangle, and the imports that make it one, without listing each of the many circles it holds.
 * @type {typeof import("./check-layout.js").findCircles}
 */
export function findCircles(graph, prefer = () => false) {
  let counter = 0;
  const index = new Map(),
    low = new Map(),
    onStack = new Set(),
    stack = [],
    components = [];
  const visit = (start) => {
    // Iterative, so a long chain of imports cannot overflow the call stack.
    const work = [[start, 0]];
    index.set(start, counter);
    low.set(start, counter);
    counter++;
    stack.push(start);
    onStack.add(start);
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [node, next] = frame;
      const edges = graph.get(node) ?? [];
      if (next < edges.length) {
        frame[1]++;
        const target = edges[next];
        if (!graph.has(target)) continue;
        if (!index.has(target)) {
          index.set(target, counter);
          low.set(target, counter);
          counter++;
          stack.push(target);
          onStack.add(target);
          work.push([target, 0]);
        } else if (onStack.has(target)) low.set(node, Math.min(low.get(node), index.get(target)));
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent), low.get(node)));
      }
      if (low.get(node) === index.get(node)) {
        const component = [];
        let member;
        do {
          member = stack.pop();
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        const selfLoop = component.length === 1 && (graph.get(node) ?? []).includes(node);
        if (component.length > 1 || selfLoop) components.push(component);
      }
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return components
    .flatMap((component) => {
      const members = new Set(component);
      const sorted = [...members].sort();
      const starts = sorted.filter(prefer);
      return (starts.length > 0 ? starts : [sorted[0]]).map((start) => closePath(graph, members, start));
    })
    .sort((a, b) => a[0].localeCompare(b[0]));
}

/** The shortest path from one member of a component back to itself, within the component. */
function closePath(graph, members, start) {
  const previous = new Map();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift();
    for (const target of graph.get(node) ?? []) {
      if (!members.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]));
        return [...path, start];
      }
      if (!previous.has(target)) {
        previous.set(target, node);
        queue.push(target);
      }
    }
  }
  return [start, start];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf("--src");
  const srcDir = at >= 0 ? process.argv[at + 1] : fileURLToPath(new URL("../src", import.meta.url));
  let result;
  try {
    if (!srcDir) throw new Error("--src needs a folder");
    if (!statSync(srcDir).isDirectory()) throw new Error(`${srcDir} is not a folder`);
    result = checkLayout({ srcDir });
  } catch (error) {
    console.error(`layout: cannot check ${srcDir ?? "src/"}: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const { files, problems } = result;
  if (problems.length === 0) console.log(`layout: ${files} files, no import circle, every import allowed by scripts/layout-rules.js`);
  else {
    console.error(
      `layout: ${problems.length} problem${problems.length === 1 ? "" : "s"} in ${files} files (the map: ARCHITECTURE.md; the table: scripts/layout-rules.js)`,
    );
    for (const { message } of problems) console.error(`  ${message}`);
    process.exitCode = 1;
  }
}
