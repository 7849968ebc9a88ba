import Handlebars from "handlebars";
import { HANDLEBARS_COMPILE_OPTIONS } from "../compile/compile-templates.js";
import { templatesFromSpecs, type Templates } from "./load-templates.js";
import { templateHelpers } from "../compile/template-helpers.js";

/**
 * Templates from precompiled specs or from template source text, which is compiled with the options
 * `mallex compile` uses (HANDLEBARS_COMPILE_OPTIONS: nothing is escaped, prompts are not HTML). Loads
 * Handlebars' compiler; the proxy serves generated/ through loadTemplates, which does not.
 *
 * @example
 * createTemplates({ "system-small": "You are {{name}}." }).render("system-small", { name: "mallex" });
 */
export function createTemplates(specs: Readonly<Record<string, unknown>>): Templates {
  // A private full environment with mallex's helpers, as the runtime one loadTemplates uses has them.
  const env = Handlebars.create();
  env.registerHelper(templateHelpers);
  return templatesFromSpecs(specs, (source) => env.compile(source, { ...HANDLEBARS_COMPILE_OPTIONS, knownHelpers: { ...HANDLEBARS_COMPILE_OPTIONS.knownHelpers } }));
}
