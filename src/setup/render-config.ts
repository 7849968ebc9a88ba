import type { TierName } from "../../generated/config.js";
import { TIER_ORDER } from "../compile/routing-table.js";
import { EMBEDDED_FLAVOR } from "./choose-local-backend.js";
import { describeHardware, type Hardware } from "./detect-hardware.js";
import { DEFAULT_MEMORY_SHARE, defaultMemoryBudgetGb } from "../supervisor/memory/default-memory-budget.js";
import { mlxLmRunsOn } from "../supervisor/mlx-lm-platform.js";
import { planTiers } from "./plan-tiers.js";
import type { LocalProfile } from "./recommend-profile.js";

export const DEFAULT_API_KEY_ENV = "ANTHROPIC_API_KEY";
/** The port `mallex init` suggests for a llama-server the user starts themselves (llama.cpp's default). */
export const SUGGESTED_LLAMA_URL = "http://127.0.0.1:8080/v1";

export interface RenderConfigInput {
  /** The local profile for every tier that stays on this machine. */
  profile: LocalProfile;
  tiersToClaude: readonly TierName[];
  /** Environment variable holding the Anthropic key (default ANTHROPIC_API_KEY). Only its name is written. */
  apiKeyEnv?: string;
  hardware: Hardware;
  /** Why this profile, e.g. "24 GB RAM → qwen2.5-coder-14b (needs 16 GB)". */
  reason?: string;
  /** The other local profiles, listed in a comment as alternatives. */
  alternatives?: readonly LocalProfile[];
  /** The Anthropic profile of the included default. */
  claudeProfile?: string;
  /** Fallbacks the included default already sets (see planTiers). */
  inheritedFallbacks?: Partial<Record<TierName, TierName>>;
  /** For the `# yaml-language-server: $schema=` line: the schema's path relative to the written file. */
  schemaUrl?: string;
}

/**
 * The text of a commented mallex.yaml that includes the shipped default and overrides only the tiers
 * (and the API key's variable name when it is not the default). Pure: no clock, no machine lookups.
 */
export function renderConfig(input: RenderConfigInput): string {
  const claudeProfile = input.claudeProfile ?? "claude-sonnet";
  const keyEnv = input.apiKeyEnv ?? DEFAULT_API_KEY_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv)) throw new Error(`not an environment variable name: ${keyEnv}`);
  const plan = planTiers({
    localProfile: input.profile.name,
    claudeProfile,
    tiersToClaude: input.tiersToClaude,
    ...(input.inheritedFallbacks ? { inheritedFallbacks: input.inheritedFallbacks } : {}),
  });
  const local = input.profile;
  const mlxElsewhere = local.flavor === "mlx-lm" && !mlxLmRunsOn(input.hardware);
  const anyClaude = input.tiersToClaude.length > 0;
  const lines: string[] = [];
  const add = (...more: string[]) => lines.push(...more);

  add(
    `# yaml-language-server: $schema=${input.schemaUrl ?? "./node_modules/mallex/schema/mallex.schema.json"}`,
    "#",
    "# mallex configuration, written by `mallex init` for this machine:",
    `#   ${oneLine(describeHardware(input.hardware))}`,
    ...(input.reason ? [`#   ${oneLine(input.reason)}`] : []),
    "#",
    "# `mallex doctor` checks that everything it needs is in place; `mallex compile` validates this file",
    "# into generated/ (`mallex run` and `mallex proxy` do that by themselves when it changed).",
    "# Values may read the environment: ${VAR} or ${VAR:-default}.",
    "",
    "# Start from mallex's shipped default (backends, model profiles, intents, prompt trimming, filters,",
    "# tool lists: the mallex.yaml in mallex's package folder) and override only what follows. Maps merge",
    "# key by key and rule lists by id; `disable: [rule-id]` removes a rule of the default.",
    "include: [mallex]",
    "",
  );

  if (mlxElsewhere) {
    add(
      "# --- This machine cannot run mlx-lm --------------------------------------------------------------",
      ...wrapComment(
        `mlx-lm needs macOS on Apple Silicon, so mallex cannot start ${local.name} (${local.description ?? local.model}) here by itself. The simplest way out: \`mallex init --force --backend embedded\` rewrites this file for mallex's own engine, which runs GGUF models anywhere. Or serve a GGUF build of the same model with llama.cpp and point mallex at it:`,
      ),
      `#   llama-server -m <the model>.gguf --jinja -c 32768 --port 8080`,
      `#   mallex run --backend-url ${SUGGESTED_LLAMA_URL}`,
      "# (the tiers below keep this profile, so its prompt trimming and tool settings still apply).",
      "# With Ollama instead, add a profile that names the Ollama model and use it in the tiers:",
      "#   profiles:",
      "#     local-ollama:",
      "#       backend: ollama                # http://127.0.0.1:11434/v1, declared in the default",
      "#       model: <name from `ollama list`>",
      `#       size: ${local.size}`,
      "#       tools: { mode: native }",
      "",
    );
  }

  if (local.flavor === EMBEDDED_FLAVOR) {
    add(
      "# --- The model server: mallex's embedded engine ---------------------------------------------------",
      ...wrapComment(
        `mallex runs ${local.name} in its own llama.cpp engine (\`mallex engine\`, installed with mallex by npm: no Python, no compiler), started on the first request and stopped when idle. Its first start downloads the model into $MALLEX_HOME/models:`,
      ),
      `#   ${local.model}`,
      "# To change how the engine runs it (CPU threads, layers on the GPU, KV cache size), override the",
      "# profile's engine block, e.g.:",
      "#   profiles:",
      `#     ${yamlScalar(local.name)}:`,
      "#       engine: { threads: 4, gpu_layers: 0 }   # gpu_layers: 0 keeps it on the CPU",
      "",
    );
  }

  add(
    "# --- Effort tiers ----------------------------------------------------------------------------------",
    "# Each request Claude Code sends goes to one tier: low for its background calls (titles, summaries)",
    "# and small edits, medium by default, high for design questions and hard debugging (the default's",
    "# intents decide from your latest message). A tier names a profile; its fallback is the tier used",
    "# when it cannot serve (server down, no API key, prompt over the model's budget).",
    `# Local tiers run ${local.name}${local.description ? ` (${local.description})` : ""}.`,
  );
  const others = (input.alternatives ?? []).filter((p) => p.name !== local.name);
  if (others.length > 0) {
    add(...wrapComment(`Other local profiles, by the memory they need: ${others.map((p) => `${p.name} (${p.minRamGb} GB)`).join(", ")}.`));
  }
  add(
    ...(anyClaude
      ? [
          `# To keep a tier local, set its profile to ${local.name}; to send one to Claude:`,
          `#   <tier>: { profile: ${claudeProfile}, fallback: <a local tier> }`,
        ]
      : [`# To send the hardest questions to Claude, export ${keyEnv} and write:`, `#   high: { profile: ${claudeProfile}, fallback: medium }`]),
    "tiers:",
  );
  const width = Math.max(...TIER_ORDER.map((tier) => entryText(plan[tier].profile, plan[tier].fallback).length));
  for (const tier of TIER_ORDER) {
    const entry = plan[tier];
    const text = entryText(entry.profile, entry.fallback);
    const note = entry.claude
      ? entry.fallback
        ? `# Claude; without ${keyEnv} it falls back to ${entry.fallback}`
        : `# Claude; needs ${keyEnv}`
      : entry.fallback && plan[entry.fallback].claude
        ? `# local; when it cannot serve: ${entry.fallback} (Claude)`
        : entry.fallback
          ? `# local (the fallback comes from the default)`
          : "# local";
    add(`  ${`${tier}:`.padEnd(8)}${text.padEnd(width)}   ${note}`);
  }
  add("");

  if (anyClaude) {
    add(
      "# --- The Anthropic API -----------------------------------------------------------------------------",
      ...wrapComment(
        `The Claude tiers read the key from ${keyEnv} when mallex starts; it is never written here or into generated/. Put \`export ${keyEnv}=sk-ant-…\` in your shell profile (~/.zshrc, ~/.bashrc).`,
      ),
    );
    if (keyEnv !== DEFAULT_API_KEY_ENV) {
      add("backends:", "  anthropic:", `    api_key: \${${keyEnv}}`);
    }
    add("");
  }

  // The budget written is the default's own value, so the file shows what mallex used and where to change it.
  const budgetGb = defaultMemoryBudgetGb(input.hardware.ramGb);
  add(
    "# --- Memory on this machine ------------------------------------------------------------------------",
    ...wrapComment(
      "The model servers mallex starts share this budget: before one starts, the least recently used idle ones are stopped until it fits, and a request waits while the others are busy (mallex's docs/reliability.md: Memory on one machine).",
    ),
    ...(budgetGb > 0
      ? [
          ...wrapComment(
            `${DEFAULT_MEMORY_SHARE * 100}% of the ${input.hardware.ramGb} GB this machine reports (${budgetShareReason(input.hardware.platform)}); more if you close other apps.`,
          ),
          "memory:",
          `  budget_gb: ${budgetGb}`,
        ]
      : ["# This machine's RAM is unknown: mallex takes 75% of what the OS reports when it starts. To set it:", "# memory:", "#   budget_gb: 48"]),
    "",
  );

  add("# --- The local server Claude Code talks to (default: 127.0.0.1:4141) --------------------------------", "# server:", "#   port: 4141", "");
  return lines.join("\n");
}

function entryText(profile: string, fallback: TierName | undefined): string {
  return `{ profile: ${yamlScalar(profile)}${fallback ? `, fallback: ${fallback}` : ""} }`;
}

/** Profile names are plain scalars in practice; anything unusual is quoted rather than trusted. */
function yamlScalar(text: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(text) && !/^(true|false|null|yes|no|on|off|~)$/i.test(text) ? text : JSON.stringify(text);
}

/** Splits a long comment at word boundaries so the file stays readable at 100 columns. */
/** Why the default budget is that share of RAM: the GPU's default limit is macOS's alone, elsewhere the share is mallex's own choice. */
function budgetShareReason(platform: NodeJS.Platform): string {
  return platform === "darwin" ? "macOS's default GPU limit" : "mallex's default, which leaves the rest to the system and other programs";
}

function wrapComment(text: string, width = 100): string[] {
  const out: string[] = [];
  let line = "#";
  for (const word of text.split(" ")) {
    if (line.length + 1 + word.length > width && line !== "#") {
      out.push(line);
      line = "#";
    }
    line += ` ${word}`;
  }
  out.push(line);
  return out;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
