/** Shared helpers for the trim-* tests: the shipped config compiled, its templates loaded, captures read. */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Size } from "../../generated/config.js";
import type { CompiledFilter, CompiledProfile, RoutingTable } from "../../src/compile/routing-table.js";
import { profileTranslateOptions } from "../../src/pipeline/profile-translate-options.js";
import { loadTemplates, type Templates } from "../../src/templates/load-templates.js";
import type { MessagesRequest } from "../../src/translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../../src/translate/convert-anthropic-to-openai.js";
import type { OpenAIChatMessage, OpenAIChatRequest } from "../../src/translate/openai-types.js";
import { trimPlanFor } from "../../src/trim/plan-trim.js";
import { trimRequest } from "../../src/trim/trim-request.js";
import type { TrimPlan, TrimResult } from "../../src/trim/trim-types.js";
import { compileIn, packageRoot } from "./config-tree.js";
import { readCapture } from "./shared-dir.js";

/** The shipped mallex.yaml, compiled fresh (so a stale generated/ cannot hide a change). */
export function compileShipped(): { table: RoutingTable; templatesJs: string } {
  const result = compileIn(packageRoot);
  if (!result.table || !result.files) throw new Error(`the shipped config does not compile:\n${result.lines.join("\n")}`);
  return { table: result.table, templatesJs: result.files["templates.mjs"]! };
}

/** Writes templates.mjs into a fresh folder and loads it the way the runtime does. */
export async function loadTemplatesFrom(templatesJs: string): Promise<Templates> {
  const dir = mkdtempSync(join(tmpdir(), "mallex-templates-"));
  writeFileSync(join(dir, "templates.mjs"), templatesJs);
  return loadTemplates(dir);
}

/** The shipped config's routing table and its templates, loaded as the runtime loads them. */
export async function loadShipped(): Promise<{ table: RoutingTable; templates: Templates }> {
  const shipped = compileShipped();
  return { table: shipped.table, templates: await loadTemplatesFrom(shipped.templatesJs) };
}

/** A captured Claude Code request body from ../shared (use it inside describeWithShared). */
export function loadCapture(name: string): MessagesRequest {
  return readCapture<MessagesRequest>(name).body;
}

export function firstProfileOfSize(table: RoutingTable, size: Size): CompiledProfile {
  const profile = Object.values(table.profiles).find((p) => p.size === size && table.backends[p.backend]?.kind === "openai");
  if (!profile) throw new Error(`no local ${size} profile`);
  return profile;
}

export interface TrimmedAndConverted {
  trimmed: TrimResult;
  upstream: OpenAIChatRequest;
}

export function trimAndConvert(request: MessagesRequest, table: RoutingTable, profile: CompiledProfile, templates: Templates): TrimmedAndConverted {
  const trimmed = trimRequest(request, trimPlanFor(table, profile), templates);
  const flavor = table.backends[profile.backend]?.flavor ?? "generic";
  return { trimmed, upstream: convertAnthropicToOpenAI(trimmed.request, profileTranslateOptions(profile, flavor)) };
}

/**
 * The prompt a ChatML chat template (Qwen, Hermes) makes of a request, without the generation
 * prompt: tools first in the system turn, then each message; assistant tool calls as <tool_call>
 * JSON, tool messages as <tool_response>. What the backend's prefix cache is keyed on.
 */
export function renderChatML(request: OpenAIChatRequest): string {
  const [first, ...rest] = request.messages;
  const tools =
    request.tools === undefined || request.tools.length === 0
      ? ""
      : `\n\n# Tools\n\n<tools>\n${request.tools.map((t) => JSON.stringify(t)).join("\n")}\n</tools>`;
  let prompt = "";
  const messages = first?.role === "system" ? rest : request.messages;
  if (first?.role === "system" || tools !== "") prompt += `<|im_start|>system\n${first?.role === "system" ? first.content : ""}${tools}<|im_end|>\n`;
  for (const message of messages) prompt += renderMessage(message);
  return prompt;
}

function renderMessage(message: OpenAIChatMessage): string {
  const content = typeof message.content === "string" ? message.content : message.content.map((p) => (p.type === "text" ? p.text : "")).join("");
  if (message.role === "tool") return `<|im_start|>user\n<tool_response>\n${content}\n</tool_response><|im_end|>\n`;
  const calls =
    message.role === "assistant"
      ? (message.tool_calls ?? []).map((c) => `<tool_call>\n{"name": "${c.function.name}", "arguments": ${c.function.arguments}}\n</tool_call>`).join("")
      : "";
  return `<|im_start|>${message.role}\n${content}${calls}<|im_end|>\n`;
}

/** A small local profile for unit tests; override what a case needs. */
export function testProfile(overrides: Partial<CompiledProfile> = {}): CompiledProfile {
  return {
    name: "test-7b",
    backend: "local",
    model: "org/test-7b",
    paramsB: 7,
    size: "small",
    maxOutputTokens: 4096,
    toolMode: "native",
    forcedCallRetries: 2,
    thinking: "strip",
    vision: false,
    sampling: {},
    ...overrides,
  };
}

/** A plan that only runs what the case gives it: no template, every tool, no budget. */
export function testPlan(overrides: Partial<TrimPlan> = {}): TrimPlan {
  const profile = overrides.profile ?? testProfile();
  return {
    size: profile.size,
    trimming: { passthrough: true, keep: [] },
    filters: [],
    tools: { drop: [], stubDescriptions: false, stubClientDescriptions: false, simplifySchemas: false },
    profile,
    ...overrides,
  };
}

type FilterSpec = Omit<CompiledFilter, "pattern" | "priority" | "sizes"> & {
  pattern: string;
  flags?: string;
  priority?: number;
  sizes?: CompiledFilter["sizes"];
};

/** A compiled filter from its mallex.yaml shape; give them highest priority first, as the table does. */
export function filter({ pattern, flags, ...rest }: FilterSpec): CompiledFilter {
  return { priority: 0, sizes: ["small", "medium", "large"], ...rest, pattern: { source: pattern, flags: flags ?? "" } };
}

export function request(messages: MessagesRequest["messages"], extra: Partial<MessagesRequest> = {}): MessagesRequest {
  return { model: "claude-opus-4-8", max_tokens: 1024, messages, ...extra };
}
