/**
 * The request path reads as one sequence (issue 39): a reader following the server's context or the
 * request's scope from the /v1/messages route (scripts/walk-request.js) never climbs back up into a
 * file still open or a higher folder, returns to no file it has left more than twice, and visits
 * half the files it did before (18 → 9 with the context itself, 37 → 28 with its parts). Every value
 * made from the context reaches no more files than it did when first counted (issue 51).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { walkRequest } from "../scripts/walk-request.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

describe("the walk of a /v1/messages request", () => {
  // The files each walk visited before the path was rewritten (8ce72c2): 18 and 37.
  // 28 → 29: the plan records the stable prefix each profile's sessions start with (observe/stable-prefixes.ts, issue 47).
  // A value made from the context reaches every file a request can run: 241 when it was first counted
  // (d106e56, after the trimming's fragments of one concept became one file each: 14 files fewer).
  const MOST_FILES: Record<string, number> = { "hands on the context itself": 9, "or a part of it": 29, "or a value made from it": 241 };
  /** The walks held to the sequence: no climb, no file entered more than three times. */
  const SEQUENCE = new Set(["hands on the context itself", "or a part of it"]);

  it("climbs back up nowhere, returns to no file more than twice, and visits half the files it did", () => {
    const walks = Object.entries(walkRequest({ root: ROOT }));
    expect(walks.map(([name]) => name)).toEqual(Object.keys(MOST_FILES));
    for (const [name, walk] of walks) {
      const returnedTooOften = [...walk.entries].filter(([, entered]) => entered > 3);
      if (SEQUENCE.has(name)) expect({ name, climbs: walk.climbs, returnedTooOften }, walk.lines.join("\n")).toEqual({ name, climbs: 0, returnedTooOften: [] });
      expect(walk.files, walk.lines.join("\n")).toBeLessThanOrEqual(MOST_FILES[name]!);
      // It walked the sequence, not nothing: the steps the route's handler names are in it.
      for (const step of ["handle-messages", "route-request", "plan-local-call", "call-backend", "answer", "refusal"])
        expect(walk.entries.has(`src/pipeline/${step}.ts`), `${name}: ${step}`).toBe(true);
    }
  }, 60_000);
});

describe("the walk itself", () => {
  const dir = mkdtempSync(join(tmpdir(), "mallex-walk-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const files: Record<string, string> = {
    "tsconfig.json": JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", noEmit: true }, include: ["src"] }),
    "src/pipeline/server-context.ts": "export interface ServerContext { log: (line: string) => void; count: number }\n",
    "src/pipeline/step.ts": [
      'import type { ServerContext } from "./server-context.js";',
      'import { reply } from "./reply.js";',
      'import { shout } from "./shout.js";',
      'export function step(ctx: ServerContext): string { ctx.log("a"); reply(ctx); reply(ctx); const said = reply(ctx); return shout(said); }',
    ].join("\n"),
    "src/pipeline/reply.ts": [
      'import type { ServerContext } from "./server-context.js";',
      "export function reply(ctx: ServerContext): string { return String(ctx.count); }",
    ].join("\n"),
    "src/pipeline/shout.ts": "export function shout(text: string): string { return text.toUpperCase(); }\n",
    "src/server/routes/messages.ts": [
      'import type { ServerContext } from "../../pipeline/server-context.js";',
      'import { step } from "../../pipeline/step.js";',
      "export function messagesRoute(ctx: ServerContext) { return step(ctx); }",
    ].join("\n"),
    "src/server/start-proxy.ts": [
      'import type { ServerContext } from "../pipeline/server-context.js";',
      'import { messagesRoute } from "./routes/messages.js";',
      "const ctx: ServerContext = { log: (line) => console.log(line), count: 1 };",
      "messagesRoute(ctx);",
    ].join("\n"),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }

  it("counts a callback from the context into a higher folder as a climb, and each call of a file left as a return", () => {
    const walk = walkRequest({ root: dir })["hands on the context itself"];
    expect(walk.lines.map((line) => line.trim())).toEqual([
      "src/pipeline/step.ts (step)",
      "↑ src/server/start-proxy.ts (log)",
      "src/pipeline/reply.ts (reply)",
      "↺ src/pipeline/reply.ts (reply)",
      "↺ src/pipeline/reply.ts (reply)",
    ]);
    expect(walk).toMatchObject({ files: 4, climbs: 1, returns: 2 });
  });

  it("follows a value made from the context only in the third walk: what a call given the context returns", () => {
    const walks = walkRequest({ root: dir });
    expect(walks["or a part of it"].entries.has("src/pipeline/shout.ts")).toBe(false);
    const made = walks["or a value made from it"];
    expect(made.lines.map((line) => line.trim())).toEqual([
      "src/pipeline/step.ts (step)",
      "↑ src/server/start-proxy.ts (log)",
      "src/pipeline/reply.ts (reply)",
      "↺ src/pipeline/reply.ts (reply)",
      "↺ src/pipeline/reply.ts (reply)",
      "src/pipeline/shout.ts (shout)",
    ]);
    expect(made).toMatchObject({ files: 5, climbs: 1, returns: 2 });
  });
});
