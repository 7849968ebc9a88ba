import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
// The runtime only: generated/templates.mjs holds precompiled specs, so serving never loads
// Handlebars' compiler (create-templates.ts does, for template source text).
import type HandlebarsFull from "handlebars";
import runtime from "handlebars/runtime.js";
import { TEMPLATES_FILE } from "../compile/emit-generated.js";
import { MallexError } from "../shared/mallex-error.js";
import { templateHelpers } from "../compile/template-helpers.js";

/** The templates of one compiled config, ready to render. */
export interface Templates {
  /** Template names, in the order generated/templates.mjs declares them. */
  readonly names: readonly string[];
  /**
   * Renders one template. Deterministic: the same context always gives the same bytes.
   * @throws {MallexError} E_GENERATED_STALE when no template has that name
   */
  render(name: string, context: object): string;
}

/** The runtime's own typings declare nothing; its API is the full package's, less the compiler. */
const Handlebars = runtime as unknown as Pick<typeof HandlebarsFull, "create" | "template">;

type TemplateSpecification = Parameters<typeof Handlebars.template>[0];

/**
 * Imports `generated/templates.mjs` (the precompiled specs `mallex compile` wrote) and returns its
 * templates, each backed by a private Handlebars environment with mallex's helpers registered.
 * The file is imported under its content hash, so a recompiled file is never served from the
 * module cache.
 *
 * @example
 * const templates = await loadTemplates(join(configDir, "generated"));
 * templates.render("system-small", context);
 */
export async function loadTemplates(generatedDir: string): Promise<Templates> {
  const path = join(generatedDir, TEMPLATES_FILE);
  let code: string;
  try {
    code = await readFile(path, "utf8");
  } catch {
    throw new MallexError("E_GENERATED_STALE", `${path} does not exist: run \`mallex compile\``);
  }
  const version = createHash("sha256").update(code).digest("hex").slice(0, 16);
  const loaded = (await import(`${pathToFileURL(path).href}?v=${version}`)) as { default?: unknown };
  if (typeof loaded.default !== "object" || loaded.default === null) {
    throw new MallexError("E_GENERATED_STALE", `${path} has no default export of templates: run \`mallex compile\``);
  }
  return templatesFromSpecs(loaded.default as Record<string, unknown>);
}

/**
 * Templates from precompiled specs (what generated/templates.mjs exports), on the Handlebars runtime.
 * `compile` turns a spec that is template source text into a template (create-templates.ts passes
 * Handlebars' compiler); without it such a spec is stale generated/.
 */
export function templatesFromSpecs(specs: Readonly<Record<string, unknown>>, compile?: (source: string) => HandlebarsTemplateDelegate): Templates {
  const env = Handlebars.create();
  env.registerHelper(templateHelpers);
  const compiled = new Map<string, HandlebarsTemplateDelegate>();
  for (const [name, spec] of Object.entries(specs)) {
    if (typeof spec === "string" && !compile) throw new MallexError("E_GENERATED_STALE", `template "${name}" in generated/${TEMPLATES_FILE} is not precompiled: run \`mallex compile\``);
    compiled.set(name, typeof spec === "string" ? compile!(spec) : env.template(spec as TemplateSpecification));
  }
  const names = [...compiled.keys()];
  return {
    names,
    render(name, context) {
      const template = compiled.get(name);
      if (template === undefined) {
        throw new MallexError("E_GENERATED_STALE", `template "${name}" is not in generated/${TEMPLATES_FILE} (it has ${names.join(", ") || "none"}): run \`mallex compile\``);
      }
      return template(context);
    },
  };
}
