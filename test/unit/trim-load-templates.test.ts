import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MallexError } from "../../src/shared/mallex-error.js";
import { templateContextShape, type ContextShape } from "../../src/compile/template-contexts.js";
import { createTemplates } from "../../src/templates/create-templates.js";
import { loadTemplates } from "../../src/templates/load-templates.js";
import { buildSystemTemplateContext, buildToolsTemplateContext } from "../../src/trim/system-prompt/build-template-contexts.js";
import { compileShipped, loadTemplatesFrom, testProfile } from "../helpers/trim-helpers.js";

describe("loadTemplates", () => {
  it("imports generated/templates.mjs and renders without escaping, as compiled", async () => {
    const templates = await loadTemplatesFrom(compileShipped().templatesJs);
    expect(templates.names).toEqual(["system-small", "system-medium", "session-context", "tools-xml", "classifier"]);
    const text = templates.render("classifier", { prompt: 'fix "a" & <b>', intents: [{ id: "x", description: "y" }] });
    expect(text).toBe(
      'Which category fits this request to a coding assistant?\n- x: y\n- none: none of these\n\nRequest:\n"""\nfix "a" & <b>\n"""\n\nReply with JSON only: {"intent": "<category id>"}\n',
    );
  });

  it("loads a recompiled file afresh, never from the module cache", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mallex-templates-"));
    const spec = (text: string) =>
      `export default { "t": ${JSON.stringify({ compiler: [8, ">= 4.3.0"], main: null, useData: false }).replace('"main":null', `"main":function(){return ${JSON.stringify(text)}}`)} };\n`;
    writeFileSync(join(dir, "templates.mjs"), spec("one"));
    expect((await loadTemplates(dir)).render("t", {})).toBe("one");
    writeFileSync(join(dir, "templates.mjs"), spec("two"));
    expect((await loadTemplates(dir)).render("t", {})).toBe("two");
  });

  it("says what to do when templates.mjs is missing or lacks a template", async () => {
    const empty = mkdtempSync(join(tmpdir(), "mallex-templates-"));
    const missing = await loadTemplates(empty).catch((error: unknown) => error);
    expect(MallexError.isInstance(missing) && missing.code).toBe("E_GENERATED_STALE");
    expect((missing as Error).message).toBe(`${join(empty, "templates.mjs")} does not exist: run \`mallex compile\``);
    expect(() => createTemplates({ a: "x" }).render("b", {})).toThrow('template "b" is not in generated/templates.mjs (it has a): run `mallex compile`');
  });
});

describe("createTemplates", () => {
  it("compiles source text with mallex's options and helpers: nothing escaped, deterministic JSON", () => {
    const templates = createTemplates({ t: '{{json value}} {{join list " | "}} {{truncate text 3}} {{text}}\n{{indent text 2}}' });
    expect(templates.render("t", { value: { b: 1, a: [2] }, list: ["x", "y"], text: "<&>\"'" })).toBe('{"a":[2],"b":1} x | y <&>… <&>"\'\n  <&>"\'');
  });
});

/** The field names a shape declares, recursively: list items as `name[]`. */
function fields(shape: ContextShape, prefix = ""): string[] {
  if (shape === true) return [prefix];
  if (Array.isArray(shape)) return fields(shape[0] as ContextShape, `${prefix}[]`);
  return Object.entries(shape).flatMap(([key, sub]) => fields(sub as ContextShape, prefix === "" ? key : `${prefix}.${key}`));
}

/** The same for a value, following the first item of each list. */
function valueFields(value: unknown, prefix = ""): string[] {
  if (Array.isArray(value) && value.length > 0 && typeof value[0] === "object" && value[0] !== null) return valueFields(value[0], `${prefix}[]`);
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, sub]) => valueFields(sub, prefix === "" ? key : `${prefix}.${key}`));
}

describe("the contexts trimRequest renders with are exactly the ones template-contexts.ts declares", () => {
  const tool = {
    name: "Read",
    description: "Reads.",
    input_schema: { type: "object", properties: { file_path: { type: "string", enum: ["a"] } }, required: ["file_path"] },
  };

  it("system", () => {
    const context = buildSystemTemplateContext(testProfile(), { environment: "env", git: "git" }, [tool], "");
    expect(valueFields(context).sort()).toEqual(fields(templateContextShape("system", ["environment", "git"])).sort());
  });

  it("tools", () => {
    const context = buildToolsTemplateContext([tool], "mallex-xml");
    expect(valueFields(context).sort()).toEqual(fields(templateContextShape("tools")).sort());
  });
});
