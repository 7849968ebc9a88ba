import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { compileConfig, loadConfigValidator, type CompileConfigResult } from "../../src/compile/compile-config.js";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import type { EnvLookup } from "../../src/config/interpolate-env.js";
import { findPackageRoot } from "../../src/shared/package-root.js";

export const packageRoot = findPackageRoot();
export const validator = await loadConfigValidator(packageRoot);

/** A minimal valid config that cases extend: one local backend, one profile, one tier. */
export const BASE = `backends:
  local: { kind: openai, base_url: "http://127.0.0.1:8080/v1" }
profiles:
  small: { backend: local, model: test-model, size: small }
tiers:
  medium: { profile: small }
`;

/** One local profile whose server never answers (port 1): for the CLI tests that need a proxy, not a model. */
export const ONE_LOCAL_PROFILE = `backends:
  local: { kind: openai, base_url: "http://127.0.0.1:1/v1" }
profiles:
  coder: { backend: local, model: test-model, size: small }
tiers:
  medium: { profile: coder }
`;

/**
 * A local model (profile coder, medium) with Claude above it (high, falling back to medium), routing
 * `*sonnet*` to Claude: the config of the tests that run the two tiers side by side. `medium` adds to
 * the medium tier's fields, `routing` to the routing block (lines indented by two spaces).
 */
export function localAndClaudeConfig(options: { defaultTier?: "medium" | "high"; medium?: string; routing?: string } = {}): string {
  return `backends:
  local: { kind: openai, flavor: mlx-lm, base_url: "http://127.0.0.1:9/v1" }
  anthropic: { kind: anthropic, base_url: https://api.anthropic.com, api_key: "\${ANTHROPIC_API_KEY}" }
profiles:
  coder: { backend: local, model: test-coder, size: medium }
  claude: { backend: anthropic, model: claude-sonnet-4-6, size: large }
tiers:
  medium: { profile: coder${options.medium ?? ""} }
  high: { profile: claude, fallback: medium }
routing:
  default_tier: ${options.defaultTier ?? "medium"}
  models: [{ match: "*sonnet*", tier: high }]
${options.routing ?? ""}`;
}

/** Writes files (path → content) into a fresh temp folder and returns the folder. */
export function writeTree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "mallex-config-"));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

export interface CompiledTree extends CompileConfigResult {
  /** Diagnostics as the CLI prints them. */
  lines: string[];
  dir: string;
}

/** Compiles `entry` inside `dir`, with `dir` as the working directory (so paths show relative). */
export function compileIn(dir: string, entry = "mallex.yaml", env: EnvLookup = {}): CompiledTree {
  const result = compileConfig({ configPath: entry, outDir: join(dir, "generated"), cwd: dir, env, packageRoot, validator });
  return { ...result, lines: result.diagnostics.map(formatDiagnostic), dir };
}

export function compileTree(files: Record<string, string>, env: EnvLookup = {}): CompiledTree {
  return compileIn(writeTree(files), "mallex.yaml", env);
}

/** The first YAML example after `marker` (a heading or a bold lead-in) in a page of the docs (`docs/several-machines.md`), compiled as a mallex.yaml of its own. */
export function compileDocsExample(page: string, marker: string): CompiledTree {
  const text = readFileSync(join(packageRoot, page), "utf8");
  const at = text.indexOf(marker);
  if (at === -1) throw new Error(`${page} has no ${marker}`);
  const yaml = /```yaml\n([\s\S]*?)```/.exec(text.slice(at))![1]!;
  return compileTree({ "mallex.yaml": yaml });
}
