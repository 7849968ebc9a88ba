// What mallex's shipped trimming does to one Claude Code request, measured with the built library
// (dist/src/, `npm run build`) as `mallex explain` does it: the repository's mallex.yaml compiled
// (into a temporary folder: the committed generated/ is left alone), its templates loaded, and the
// first local profile of each size. Plain JavaScript, like the rest of scripts/claude-code/.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** @import { SizeFigures } from "./measure-trimming.js" */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/**
 * The sizes measured, and the least cut of the request's characters each must reach.
 * @type {typeof import("./measure-trimming.js").SIZE_GOALS}
 */
export const SIZE_GOALS = Object.freeze({ small: 0.94, medium: 0.9 });

/**
 * Loads the shipped config's trimming from the repository at `root` (default: this one). Throws when
 * dist/ is missing or the config has errors.
 * @type {typeof import("./measure-trimming.js").loadShippedTrimming}
 */
export async function loadShippedTrimming(root = ROOT) {
  /** @param {string} path */
  const lib = (path) =>
    import(pathToFileURL(join(root, "dist", "src", path)).href).catch((error) => {
      throw new Error(`cannot load dist/src/${path} (run \`npm run build\` first): ${error.message}`);
    });
  /**
   * @type {[
   *   typeof import("#dist/compile/compile-config.js"),
   *   typeof import("#dist/compile/write-generated.js"),
   *   typeof import("#dist/templates/load-templates.js"),
   *   typeof import("#dist/pipeline/explain-request.js"),
   *   typeof import("#dist/pipeline/check-messages-body.js"),
   *   typeof import("#dist/shared/load-validator.js"),
   *   typeof import("#dist/translate/translate-error.js"),
   * ]}
   */
  const [
    { compileConfig, loadConfigValidator },
    { writeGeneratedFiles },
    { loadTemplates },
    { explainRequest, profileForSize },
    { checkMessagesBody },
    { loadValidator },
    { TranslateError },
  ] = await Promise.all([
    lib("compile/compile-config.js"),
    lib("compile/write-generated.js"),
    lib("templates/load-templates.js"),
    lib("pipeline/explain-request.js"),
    lib("pipeline/check-messages-body.js"),
    lib("shared/load-validator.js"),
    lib("translate/translate-error.js"),
  ]);
  const configPath = join(root, "mallex.yaml");
  const outDir = mkdtempSync(join(tmpdir(), "mallex-check-generated-"));
  let table;
  let templates;
  try {
    const compiled = compileConfig({ configPath, outDir, cwd: root, env: process.env, packageRoot: root, validator: await loadConfigValidator(root) });
    if (!compiled.table || !compiled.files) throw new Error(`${configPath} has errors: ${compiled.diagnostics.map((d) => d.message).join("; ")}`);
    const writeError = writeGeneratedFiles(outDir, compiled.files);
    if (writeError) throw new Error(`cannot write ${outDir}: ${writeError}`);
    table = compiled.table;
    templates = await loadTemplates(outDir);
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const validateMessages = await loadValidator(root, "validate-messages");
  const profiles = Object.fromEntries(
    /** @type {(keyof typeof SIZE_GOALS)[]} */ (Object.keys(SIZE_GOALS)).map((size) => {
      const profile = profileForSize(table, size);
      if (profile === undefined) throw new Error(`the shipped config has no ${size} profile`);
      return [size, profile];
    }),
  );

  return {
    /**
     * The exact request a profile of the shipped config sends upstream for one body (Claude Code's,
     * as it sent it), as `mallex explain --profile` prints it; `trim: false` as the profile's
     * `trim: false` (or `--trim off`) sends it, untrimmed. Throws for an unknown profile or an
     * invalid body, and when trimming failed.
     */
    upstream(body, profileName, { trim = true } = {}) {
      const profile = table.profiles[profileName];
      if (profile === undefined) throw new Error(`the shipped config has no profile ${profileName}`);
      const check = checkMessagesBody(JSON.stringify(body), validateMessages);
      if (!check.ok) throw new Error(`not a valid Messages request: ${check.message}`);
      const explanation = explainRequest(check.request, { table, profile: trim ? profile : { ...profile, trim: false }, templates });
      if (explanation.error !== undefined) throw new Error(`${profileName}${trim ? "" : " untrimmed"}: ${explanation.error}`);
      return explanation.upstream;
    },
    /** The profile measured for each size: `{ small: "qwen2.5-coder-7b", … }`. */
    profiles: Object.fromEntries(Object.entries(profiles).map(([size, profile]) => [size, profile.name])),
    /** Each size's figures for one request body (as Claude Code sent it). */
    measure(body) {
      const check = checkMessagesBody(JSON.stringify(body), validateMessages);
      if (!check.ok) throw new Error(`not a valid Messages request: ${check.message}`);
      /** @type {Record<string, SizeFigures>} */
      const sizes = {};
      for (const [size, profile] of Object.entries(profiles)) {
        try {
          sizes[size] = figuresOf(explainRequest(check.request, { table, profile, templates }));
        } catch (error) {
          // A request the profile cannot be sent (an image without vision); anything else is a fault here.
          if (!TranslateError.isInstance(error)) throw error;
          sizes[size] = { chars: undefined, cut: undefined, template: false, unplaced: [`cannot be trimmed for ${profile.name}: ${error.message}`] };
        }
      }
      return { requestChars: JSON.stringify(check.request).length, sizes };
    },
  };
}

/**
 * One explanation's figures: the trimmed size, the share of characters cut (and of Claude Code's own
 * text, `ownCut`, with the user's characters kept whole), whether the system prompt
 * was rendered from a template, and what trimming could not place: `claudeCode.unplaced` for a
 * request recognised as Claude Code's (it names the unknown reminders itself), else every
 * `unknown-reminder` hit; and a system prompt passed through (with why).
 * @type {typeof import("./measure-trimming.js").figuresOf}
 */
export function figuresOf(explanation) {
  const unplaced = [
    ...(explanation.claudeCode?.unplaced ??
      explanation.rules.filter((hit) => hit.rule === "unknown-reminder").map((hit) => `unknown-reminder at ${hit.target} (${hit.charsRemoved} chars removed)`)),
    ...(explanation.system?.mode === "passthrough" ? [`system prompt passed through: ${explanation.system.reason}`] : []),
  ];
  return {
    chars: explanation.after.chars,
    cut: 1 - explanation.after.chars / explanation.before.chars,
    // The measure of trimming: Claude Code's own text cut, the user's kept text counted apart.
    ...(explanation.cut === undefined ? {} : { ownCut: explanation.cut.claudeCode, userChars: explanation.cut.userChars }),
    template: explanation.system?.mode === "template",
    unplaced,
    ...(explanation.error === undefined ? {} : { error: explanation.error }),
  };
}

/**
 * Why one version's figures count as drift (empty: none): Claude Code's own text cut (else the whole
 * cut) below its size's goal, anything unplaced.
 * @type {typeof import("./measure-trimming.js").driftOf}
 */
export function driftOf(sizes) {
  return Object.entries(SIZE_GOALS).flatMap(([size, goal]) => {
    const figures = sizes[size];
    if (figures === undefined) return [];
    const reasons = [];
    // Claude Code's own text is what trimming is held to, where the figures have it.
    const [what, cut] = figures.ownCut === undefined ? ["cut", figures.cut] : ["own-text cut", figures.ownCut];
    if (cut === undefined || cut < goal) reasons.push(`${size}: ${what} ${percent(cut)} < ${percent(goal)}`);
    if (figures.unplaced.length > 0) reasons.push(`${size}: ${figures.unplaced.length} unplaced`);
    if (figures.error !== undefined) reasons.push(`${size}: ${figures.error}`);
    return reasons;
  });
}

/** @type {typeof import("./measure-trimming.js").percent} */
export function percent(share) {
  return share === undefined ? "—" : `${(share * 100).toFixed(1)}%`;
}
