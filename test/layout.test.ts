import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { checkLayout } from "../scripts/check-layout.js";
import { LAYOUT_RULES } from "../scripts/layout-rules.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A src/ tree of the given files in a temporary folder. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-layout-"));
  made.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, "src", path)), { recursive: true });
    writeFileSync(join(dir, "src", path), text);
  }
  return join(dir, "src");
}

const RULES = { low: [], high: ["low"] };

describe("the layout check (scripts/check-layout.js, the table in scripts/layout-rules.js)", () => {
  it("finds no import circle and no import against the table in src/", () => {
    const { files, problems } = checkLayout({ srcDir: SRC });
    expect(files).toBeGreaterThan(300);
    expect(problems).toEqual([]);
  });

  it("reports circles (type-only, re-exports and import() count), imports against the table, unknown folders and loose files", () => {
    const srcDir = tree({
      "index.ts": 'export { a } from "./high/a.js";\n',
      "high/a.ts": 'import { b } from "../low/b.js";\nexport const a = b;\nexport type A = number;\n',
      "low/b.ts": 'import type { A } from "../high/a.js";\nexport const b: A = 1;\n',
      "low/c.ts": 'import { d } from "./d.js";\nexport const c = d;\n',
      "low/d.ts": 'export { c as d } from "./c.js";\n',
      "low/e.ts": 'export const e = () => import("./f.js");\n',
      "low/f.ts": 'import { e } from "./e.js";\nexport const f = e;\n',
      "low/g.ts": 'import { b } from "./b.js";\nimport { x } from "../../generated/x.js";\nimport { y } from "node:path";\nexport const g = [b, x, y];\n',
      "extra/z.ts": 'import { b } from "../low/b.js";\nexport const z = b;\n',
      "loose.ts": "export const loose = 1;\n",
    });
    const { files, problems } = checkLayout({ srcDir, rules: RULES });
    expect(files).toBe(10);
    expect(problems).toEqual([
      { kind: "unknown-folder", message: "src/extra/ is not in scripts/layout-rules.js: say what it may import there (and in ARCHITECTURE.md)" },
      { kind: "loose-file", message: "src/loose.ts sits in src/ itself: only index.ts (the public API) does; give it a folder" },
      { kind: "direction", message: "src/low/b.ts imports src/high/a.ts: low/ may import no other folder" },
      { kind: "circle", message: "import circle: src/low/b.ts → src/high/a.ts → src/low/b.ts" },
      { kind: "circle", message: "import circle: src/low/c.ts → src/low/d.ts → src/low/c.ts" },
      { kind: "circle", message: "import circle: src/low/e.ts → src/low/f.ts → src/low/e.ts" },
    ]);
  });

  it("refuses a table that allows a circle or names a folder it lacks", () => {
    const srcDir = tree({ "a/x.ts": "export const x = 1;\n" });
    const { problems } = checkLayout({ srcDir, rules: { a: ["b"], b: ["c", "a"] } });
    expect(problems).toEqual([
      { kind: "table", message: "scripts/layout-rules.js: b/ may import c/, which the table does not list" },
      { kind: "table", message: "scripts/layout-rules.js allows a circle: a/ → b/ → a/" },
    ]);
  });

  it("fails on a circle planted in a copy of src/, naming the import that closes it", () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-layout-"));
    made.push(dir);
    cpSync(SRC, join(dir, "src"), { recursive: true });
    const before = checkLayout({ srcDir: join(dir, "src") }).problems;
    // format-number.ts is read by the debug lines the server writes: importing the server back closes a circle.
    appendFileSync(join(dir, "src", "shared", "format-number.ts"), '\nexport type { StartProxyOptions } from "../server/start-proxy.js";\n');
    const planted = checkLayout({ srcDir: join(dir, "src") }).problems.filter((p) => !before.some((b) => b.message === p.message));
    expect(planted.map((p) => p.kind).sort()).toEqual(["circle", "direction"]);
    expect(planted.find((p) => p.kind === "direction")?.message).toBe(
      "src/shared/format-number.ts imports src/server/start-proxy.ts: shared/ may import no other folder",
    );
    const circle = planted.find((p) => p.kind === "circle")!.message;
    expect(circle).toMatch(/^import circle: src\/shared\/format-number\.ts → src\/server\/start-proxy\.ts → .* → src\/shared\/format-number\.ts$/);
  });

  it("runs as a command: one line per problem and exit status 1, or one line and 0", () => {
    const bad = tree({ "shared/b.ts": 'import "../server/a.js";\n', "server/a.ts": 'import "../shared/b.js";\n' });
    const failed = spawnSync(process.execPath, [join(ROOT, "scripts", "check-layout.js"), "--src", bad], { encoding: "utf8" });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toBe(
      "layout: 2 problems in 2 files (the map: ARCHITECTURE.md; the table: scripts/layout-rules.js)\n" +
        "  src/shared/b.ts imports src/server/a.ts: shared/ may import no other folder\n" +
        "  import circle: src/shared/b.ts → src/server/a.ts → src/shared/b.ts\n",
    );

    const good = tree({ "shared/x.ts": "export const x = 1;\n", "server/y.ts": 'import { x } from "../shared/x.js";\nexport const y = x;\n' });
    const passed = spawnSync(process.execPath, [join(ROOT, "scripts", "check-layout.js"), "--src", good], { encoding: "utf8" });
    expect(passed.stderr).toBe("");
    expect(passed.stdout).toBe("layout: 2 files, no import circle, every import allowed by scripts/layout-rules.js\n");
    expect(passed.status).toBe(0);

    const missing = spawnSync(process.execPath, [join(ROOT, "scripts", "check-layout.js"), "--src", join(bad, "nowhere")], { encoding: "utf8" });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^layout: cannot check .*nowhere: ENOENT: no such file or directory, stat '.*nowhere'\n$/);
  });
});

describe("ARCHITECTURE.md, the map of src/", () => {
  const map = readFileSync(join(ROOT, "ARCHITECTURE.md"), "utf8");
  /** Each folder's paragraph: its heading, `### \`name/\``, and its "May import:" line. */
  const described = new Map(
    [...map.matchAll(/^### `([\w-]+)\/`[^\n]*\n([\s\S]*?)(?=^### |^## |(?![\s\S]))/gm)].map(([, folder, body]) => {
      const line = /^May import: (.*)$/m.exec(body!)?.[1] ?? "(no May import: line)";
      return [folder!, line === "nothing." ? [] : [...line.matchAll(/`([\w-]+)\/`/g)].map((m) => m[1]!)];
    }),
  );

  it("describes each folder of src/, and only those", () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect([...described.keys()].sort()).toEqual(folders);
    expect(Object.keys(LAYOUT_RULES).sort()).toEqual(folders);
  });

  it("says for each folder exactly what the table lets it import", () => {
    for (const [folder, allowed] of Object.entries(LAYOUT_RULES)) expect({ folder, imports: described.get(folder) }).toEqual({ folder, imports: [...allowed] });
  });
});
