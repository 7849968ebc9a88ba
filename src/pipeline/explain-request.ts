import type { Size } from "../../generated/config.js";
import { cleanHistoryForClaude } from "../translate/clean-history-for-claude.js";
import type { CompiledProfile, RoutingTable } from "../compile/routing-table.js";
import { estimateTokens } from "../translate/estimate-tokens.js";
import { profileTranslateOptions } from "./profile-translate-options.js";
import { requireAction } from "./answer-checks/require-action.js";
import { profileForAnswer } from "./profile-for-answer.js";
import type { Templates } from "../templates/load-templates.js";
import type { MessagesRequest } from "../translate/anthropic-types.js";
import { convertAnthropicToOpenAI } from "../translate/convert-anthropic-to-openai.js";
import type { OpenAIChatRequest } from "../translate/openai-types.js";
import { customTools } from "../translate/tool-calls/resolve-tool-call.js";
import { isBuiltInTool } from "../shared/claude-code-tools.js";
import { trimPlanFor } from "../trim/plan-trim.js";
import { recognizeClaudeCode } from "../trim/claude-code/recognize-claude-code.js";
import { splitSystemReminders } from "../trim/read-preamble.js";
import { userTextKept } from "../trim/summarize-trim-report.js";
import { trimRequest } from "../trim/trim-request.js";
import type { LearnedOwnLines } from "../trim/claude-code/own-lines.js";
import type { PromptSize, TrimReport, TrimRuleHit } from "../trim/trim-types.js";

/** What `mallex explain` shows for one request and one profile. */
export interface Explanation {
  profile: string;
  size: Size;
  backend: { name: string; kind: "openai" | "anthropic"; flavor: string };
  /** The Anthropic request as Claude Code sent it: JSON.stringify length and estimated tokens. */
  before: PromptSize;
  /** The request mallex sends upstream, measured the same way. */
  after: PromptSize;
  /**
   * The share of the request trimming cut: of all of it, and of Claude Code's own text, the user's
   * text it keeps whole (`userChars`: what the user wrote into the system prompt and the conversation,
   * CLAUDE.md, their agents and skills it names, their MCP servers' tools offered natively) counted apart so that keeping it costs the measure nothing.
   */
  cut: { all: number; claudeCode: number; userChars: number };
  /** Every rule that fired, in the order the steps ran. */
  rules: TrimRuleHit[];
  system: TrimReport["system"];
  tools: TrimReport["tools"];
  /** Each part of the request the user wrote or configured, and what became of it. */
  user: TrimReport["user"];
  budgetTokens?: number;
  /** Set when Claude Code sent the request: its version and what no rule placed (see ClaudeCodeReport). */
  claudeCode?: TrimReport["claudeCode"];
  /** Set when the proxy would refuse the request (over the input budget): its error message. */
  error?: string;
  /** The exact request body mallex sends: OpenAI chat for local backends, Messages for Anthropic. */
  upstream: OpenAIChatRequest | MessagesRequest;
}

/** The profile `mallex explain --size` trims for: the first of that size on a local (OpenAI) backend, else the first of that size. */
export function profileForSize(table: RoutingTable, size: Size): CompiledProfile | undefined {
  const ofSize = Object.values(table.profiles).filter((profile) => profile.size === size);
  return ofSize.find((profile) => table.backends[profile.backend]?.kind === "openai") ?? ofSize[0];
}

/** What a request is explained for: the compiled config, the profile it is trimmed for, and the client's user-agent (Claude Code's version picks its rules). */
export interface ExplainFor {
  table: RoutingTable;
  profile: CompiledProfile;
  templates: Templates;
  userAgent?: string | undefined;
  /** Claude Code's own lines learned from releases the built-in ones do not cover (`mallex run` keeps them in MALLEX_HOME). */
  learned?: LearnedOwnLines | undefined;
}

/**
 * Trims and translates one request for one profile exactly as the proxy does, and says what every
 * rule did. Pure: the same request, table and templates always explain the same way.
 * @throws {TranslateError} when the request cannot be translated for the profile (an image without vision)
 */
export function explainRequest(request: MessagesRequest, { table, profile, templates, userAgent, learned }: ExplainFor): Explanation {
  const backend = table.backends[profile.backend];
  const flavor = backend?.flavor ?? "generic";
  const before = sizeOf(request);
  if (backend?.kind === "anthropic") {
    const upstream: MessagesRequest = { ...cleanHistoryForClaude(request), model: profile.model };
    const offered = customTools(request.tools).map((tool) => tool.name);
    const fromClaudeCode = recognizeClaudeCode(request, userAgent) !== undefined;
    return {
      profile: profile.name,
      size: profile.size,
      backend: { name: profile.backend, kind: "anthropic", flavor },
      before,
      after: sizeOf(upstream),
      cut: cutOf(before, sizeOf(upstream), 0),
      rules: [],
      user: [],
      system: { mode: "passthrough", reason: "the Anthropic API gets Claude Code's request as it is" },
      tools: { mode: "native", offered, client: offered.filter((name) => !isBuiltInTool(name, fromClaudeCode)) },
      upstream,
    };
  }
  const trimmed = trimRequest(request, trimPlanFor(table, profile), templates, {
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(learned === undefined ? {} : { learned }),
  });
  // Its max_tokens as a small context caps it (see profileForAnswer).
  // As a local call sends it: with tools.always_call, the Reply tool and the call asked for (require-action.ts).
  const upstream = convertAnthropicToOpenAI(
    requireAction(profile, request, trimmed.request, trimmed.offeredTools)?.sent ?? trimmed.request,
    profileTranslateOptions(profileForAnswer(profile, trimmed.report.after.tokens, trimmed.report).profile, flavor),
  );
  return {
    profile: profile.name,
    size: profile.size,
    backend: { name: profile.backend, kind: "openai", flavor },
    before,
    after: sizeOf(upstream),
    cut: cutOf(before, sizeOf(upstream), userTextKept(trimmed.report) + userWords(request.messages) + clientToolChars(upstream, trimmed.report.tools.client)),
    rules: trimmed.report.rules,
    system: trimmed.report.system,
    tools: trimmed.report.tools,
    user: trimmed.report.user,
    ...(trimmed.report.budgetTokens === undefined ? {} : { budgetTokens: trimmed.report.budgetTokens }),
    ...(trimmed.report.claudeCode === undefined ? {} : { claudeCode: trimmed.report.claudeCode }),
    ...(trimmed.ok ? {} : { error: trimmed.error.message }),
    upstream,
  };
}

/**
 * Characters of the client's own tools (the user's MCP servers') the model is offered natively, as
 * sent upstream: what the user configured, kept whatever the size, so not Claude Code's text either.
 */
function clientToolChars(upstream: OpenAIChatRequest, client: readonly string[]): number {
  if (client.length === 0) return 0;
  const names = new Set(client);
  return (upstream.tools ?? []).reduce((sum, tool) => sum + (names.has(tool.function.name) ? JSON.stringify(tool).length : 0), 0);
}

/** The user's words in the conversation: the text of user messages outside Claude Code's reminders (tool results are not words). */
function userWords(messages: MessagesRequest["messages"]): number {
  const texts = messages.flatMap((message) =>
    message.role !== "user"
      ? []
      : typeof message.content === "string"
        ? [message.content]
        : message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])),
  );
  return texts.reduce(
    (sum, text) => sum + splitSystemReminders(text).reduce((chars, segment) => chars + (segment.kind === "text" ? segment.text.trim().length : 0), 0),
    0,
  );
}

function cutOf(before: PromptSize, after: PromptSize, userChars: number): Explanation["cut"] {
  const share = (kept: number, all: number) => (all <= 0 ? 0 : Math.round((1 - kept / all) * 10_000) / 10_000);
  return { all: share(after.chars, before.chars), claudeCode: share(after.chars - userChars, before.chars - userChars), userChars };
}

function sizeOf(body: unknown): PromptSize {
  const chars = JSON.stringify(body).length;
  return { chars, tokens: estimateTokens(chars) };
}
