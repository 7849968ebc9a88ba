import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Handlebars from "handlebars";
import { diagnostic } from "../config/diagnostics.js";
import { displayPath } from "../config/display-path.js";
import { templateContextShape, type TemplateKind } from "./template-contexts.js";
import { TEMPLATE_HELPER_NAMES } from "./template-helpers.js";
import { checkTemplate, parseTemplate, type TemplateProblem } from "./check-template.js";
import type { ConfigView } from "./config-view.js";
import { SIZES } from "./routing-table.js";

export interface CompiledTemplate {
  name: string;
  /** Absolute path of the .hbs file. */
  path: string;
  content: string;
  sha256: string;
  /** Handlebars.precompile output: a JS object literal, written into generated/templates.mjs. */
  spec: string;
}

interface TemplateUse {
  kind: TemplateKind;
  sectionIds: string[];
  label: string;
}

/** Options the runtime must render with too: prompts are not HTML, so nothing is escaped. */
export const HANDLEBARS_COMPILE_OPTIONS = {
  noEscape: true,
  knownHelpers: Object.fromEntries(TEMPLATE_HELPER_NAMES.map((name) => [name, true])),
} as const;

/** Reads every declared template, checks it against each place that uses it, and precompiles it. */
export function compileTemplates(view: ConfigView, cwd: string): CompiledTemplate[] {
  const uses = collectUses(view);
  const compiled: CompiledTemplate[] = [];
  for (const [name, file] of Object.entries(view.config.templates ?? {})) {
    const declaredIn = view.at(["templates", name]).file;
    const path = resolve(dirname(resolve(cwd, declaredIn)), file);
    let content: string;
    try {
      content = readFileSync(path, "utf8");
    } catch {
      view.report(
        "template-not-found",
        ["templates", name],
        `template file ${file} does not exist`,
        `template paths are relative to the file that declares them (${declaredIn})`,
      );
      continue;
    }
    const shown = displayPath(path, cwd);
    const templateUses = uses.get(name) ?? [];
    if (templateUses.length === 0) {
      view.report(
        "template-unused",
        ["templates", name],
        `template "${name}" is declared but nothing uses it`,
        "reference it from trimming, tools or classifier, or remove it",
        { key: true, warning: true },
      );
    }
    const parsed = parseTemplate(content);
    const problems = parsed.ok
      ? uniqueProblems(templateUses.flatMap((use) => checkTemplate(parsed.program, templateContextShape(use.kind, use.sectionIds), use.label)))
      : [parsed.problem];
    for (const problem of problems) {
      const code = problem.kind === "syntax" ? "template-syntax" : problem.kind === "unknown-helper" ? "template-unknown-helper" : "template-unknown-variable";
      view.diagnostics.push(diagnostic(code, { file: shown, line: problem.line, col: problem.col }, problem.message, problem.hint));
    }
    if (!parsed.ok || problems.length > 0) continue;
    compiled.push({
      name,
      path,
      content,
      sha256: createHash("sha256").update(content).digest("hex"),
      spec: Handlebars.precompile(parsed.program, HANDLEBARS_COMPILE_OPTIONS) as string,
    });
  }
  return compiled;
}

/** A template used by two sizes reports a shared mistake once. */
function uniqueProblems(problems: TemplateProblem[]): TemplateProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.line}:${p.col}:${p.message}`;
    return !seen.has(key) && seen.add(key);
  });
}

function collectUses(view: ConfigView): Map<string, TemplateUse[]> {
  const uses = new Map<string, TemplateUse[]>();
  const add = (name: string | undefined, use: TemplateUse) => {
    if (name !== undefined) uses.set(name, [...(uses.get(name) ?? []), use]);
  };
  for (const size of SIZES) {
    const trimming = view.config.trimming?.[size];
    const sectionIds = (trimming?.keep ?? []).map((k) => k.id);
    add(trimming?.system_template, { kind: "system", sectionIds, label: `trimming.${size} system` });
    add(trimming?.context_template, { kind: "system", sectionIds, label: `trimming.${size} context` });
    add(view.config.tools?.[size]?.template, { kind: "tools", sectionIds: [], label: "tool" });
  }
  add(view.config.classifier?.template, { kind: "classifier", sectionIds: [], label: "classifier" });
  return uses;
}
