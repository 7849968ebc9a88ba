import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { defineCommand } from "citty";
import type { Size } from "../../../generated/config.js";
import { ensureCompiled } from "../../compile/ensure-compiled.js";
import { SIZES, type CompiledProfile, type RoutingTable } from "../../compile/routing-table.js";
import { formatDiagnostic } from "../../config/diagnostics.js";
import { loadValidator } from "../../shared/load-validator.js";
import { MallexError } from "../../shared/mallex-error.js";
import { findPackageRoot } from "../../shared/package-root.js";
import type { EnvLookup } from "../../config/interpolate-env.js";
import { routeOffline } from "../../router/route-offline.js";
import type { RouteDecision } from "../../router/select-route.js";
import { checkMessagesBody } from "../../pipeline/check-messages-body.js";
import { loadTemplates } from "../../templates/load-templates.js";
import type { MessagesRequest } from "../../translate/anthropic-types.js";
import { TranslateError } from "../../translate/translate-error.js";
import { explainRequest, profileForSize } from "../../pipeline/explain-request.js";
import { configArgs } from "../args/common-args.js";
import { describeConfigLayers, findConfigLayers } from "../../config/config-layers.js";
import { formatExplanation } from "../format-explanation.js";
import { printErr, printOut, terminalJson } from "../terminal-text.js";
import { loadClaudeCodeLines } from "../../observe/claude-code-lines.js";
import { resolveMallexHome } from "../../shared/files/mallex-home.js";

export default defineCommand({
  meta: { name: "explain", description: "Show what every trimming rule does to one captured request, and the exact upstream request" },
  args: {
    ...configArgs,
    request: {
      type: "positional",
      description: "A captured Anthropic request (bare body, or an exchange holding it under `body`)",
      required: true,
      valueHint: "request.json",
    },
    profile: { type: "string", description: "Profile to trim for (default: the one the proxy would route the request to)", valueHint: "name" },
    size: { type: "string", description: "Size class to trim for: small | medium | large", valueHint: "size" },
    json: { type: "boolean", description: "Print one JSON object (before.chars, after.chars, upstream, rules)" },
  },
  async run({ args }) {
    const size = parseSize(args.size);
    const cwd = process.cwd();
    const packageRoot = findPackageRoot();
    const layers = findConfigLayers(args.config, cwd, packageRoot);
    const configPath = layers.entry;
    const outDir = join(dirname(configPath), "generated");
    const compiled = await ensureCompiled({ configPath, under: layers.under, outDir, cwd, env: process.env, packageRoot });
    for (const warning of compiled.warnings) printErr(formatDiagnostic(warning));
    if (compiled.writeError)
      throw new MallexError("E_GENERATED_STALE", `${compiled.writeError}; its templates are out of date: run \`mallex compile\` where it can write`);
    const captured = readRequest(args.request);
    const request = checkRequest(captured.body, args.request, await loadValidator(packageRoot, "validate-messages"));
    const { profile, route } = chooseProfile(compiled.table, request, args.profile, size, process.env);
    const templates = await loadTemplates(outDir);

    let explanation;
    try {
      // As a proxy started now would trim it: with the own lines `mallex run` learned from releases the built-in ones do not cover.
      const { learned } = loadClaudeCodeLines(resolveMallexHome(process.env));
      explanation = explainRequest(request, { table: compiled.table, profile, templates, userAgent: captured.userAgent, learned });
    } catch (error) {
      if (TranslateError.isInstance(error))
        throw new MallexError("E_USAGE", `${args.request} cannot be sent to profile ${profile.name}: ${error.path}: ${error.message}`);
      throw error;
    }
    const routed = route ? { route: { ...(route.tier ? { tier: route.tier } : {}), reason: route.reason } } : {};
    // With the explanation, so that an error stays one line; in the object with --json.
    if (args.json) printOut(terminalJson({ ...explanation, ...routed, config: layers.files }));
    else printOut(formatExplanation(explanation, args.request, { config: describeConfigLayers(layers, cwd), ...(route ? { route: route.reason } : {}) }));
  },
});

function parseSize(value: string | undefined): Size | undefined {
  if (value === undefined) return undefined;
  if ((SIZES as readonly string[]).includes(value)) return value as Size;
  throw new MallexError("E_USAGE", `--size must be one of ${SIZES.join(", ")}, got "${value}"`, { exitCode: 2 });
}

/**
 * --profile or --size when given; else the profile the proxy would route this request to, with the
 * route, so the output can say why that one.
 */
function chooseProfile(
  table: RoutingTable,
  request: MessagesRequest,
  name: string | undefined,
  size: Size | undefined,
  env: EnvLookup,
): { profile: CompiledProfile; route?: RouteDecision } {
  if (name !== undefined || size !== undefined) return { profile: pickProfile(table, name, size) };
  const routed = routeOffline(request, table, env);
  if (!routed.ok) throw new MallexError("E_USAGE", `${routed.message} Pick a profile with --profile.`, { exitCode: 2 });
  return { profile: routed.route.profile, route: routed.route };
}

/** --profile NAME, else the first profile of --size, local backends first. */
function pickProfile(table: RoutingTable, name: string | undefined, size: Size | undefined): CompiledProfile {
  const profiles = Object.values(table.profiles);
  if (name !== undefined) {
    const profile = table.profiles[name];
    if (profile === undefined)
      throw new MallexError("E_USAGE", `there is no profile "${name}"; the config has ${profiles.map((p) => p.name).join(", ")}`, { exitCode: 2 });
    if (size !== undefined && size !== profile.size)
      throw new MallexError("E_USAGE", `profile ${name} is ${profile.size}, not ${size}: give --profile or --size, not both`, { exitCode: 2 });
    return profile;
  }
  const wanted = size ?? "small";
  const profile = profileForSize(table, wanted);
  if (profile === undefined)
    throw new MallexError("E_USAGE", `no profile has size ${wanted}; pick one with --profile (${profiles.map((p) => p.name).join(", ")})`, { exitCode: 2 });
  return profile;
}

/**
 * The file's JSON: a bare request body, or a captured exchange holding it under `body` (with the
 * user agent of its `headers`, when it has them: Claude Code's names its version).
 */
function readRequest(path: string): { body: unknown; userAgent?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (error as Error).message;
    throw new MallexError("E_USAGE", `cannot read ${path}: ${reason}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MallexError("E_USAGE", `${path} is not JSON: ${(error as Error).message}`);
  }
  const body = isObject(value) && !("messages" in value) && isObject(value.body) ? value.body : value;
  if (!isObject(body) || !Array.isArray(body.messages)) {
    throw new MallexError("E_USAGE", `${path} holds neither an Anthropic Messages request nor a captured exchange with one under "body"`);
  }
  const headers = isObject(value) && body !== value && isObject(value.headers) ? value.headers : undefined;
  const userAgent = headers?.["user-agent"];
  return typeof userAgent === "string" ? { body, userAgent } : { body };
}

function checkRequest(body: unknown, path: string, validate: Parameters<typeof checkMessagesBody>[1]): MessagesRequest {
  const check = checkMessagesBody(JSON.stringify(body), validate);
  if (!check.ok) throw new MallexError("E_USAGE", `${path} is not a valid Messages API request: ${check.message}`);
  return check.request;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
