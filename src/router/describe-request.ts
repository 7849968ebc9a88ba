import type { AnthropicContentBlock, MessagesRequest } from "../translate/anthropic-types.js";
import { continuedMessages } from "./continued-request.js";
import { detectStall, type Stall } from "./detect-stall.js";
import { ownText } from "./own-text.js";
import { estimateTokens } from "../translate/estimate-tokens.js";

/** The facts intent rules look at, read once from a request. */
export interface RequestFacts {
  /**
   * The user's latest own words: text blocks of the last user message, without <system-reminder> blocks.
   * For Claude Code's request to go on with a cut answer, the request it continues (continuedMessages):
   * the cut answer keeps the route it started on.
   */
  latestUserText: string;
  /** Whether the last message (of the continued request, for a continuation) brings tool results back rather than the user's own text. */
  turn: "user" | "tool_result";
  hasImages: boolean;
  /** Characters of everything the request carries (system, messages, tools). */
  chars: number;
  /** A rough token estimate (see estimateTokens). */
  estimatedTokens: number;
  /** The model is stuck on this task (see detectStall); routing may escalate it (`routing.escalate_on_stall`). */
  stall?: Stall;
  /** The effort the request asks for (see requestEffort); absent when it names none. */
  effort?: string;
}

/**
 * What a request body's text says about its prompt, read in the pass that checks its depth (see
 * scanJsonBody): no part of the parsed request is serialised again to know it.
 */
export interface PromptSource {
  /** The JSON text of `system` and of `tools` exactly as the client sent it (absent: the body has none): what caches key on. */
  systemJson?: string;
  toolsJson?: string;
  /**
   * Characters of `system`, `messages` and `tools` as compact JSON (an absent one as `""` / `[]`),
   * the way measurePrompt counts them: the same number for a body written by JSON.stringify.
   */
  chars: { system: number; messages: number; tools: number };
}

/**
 * The prompt a request carries — its system prompt, messages and tools as JSON — in characters and
 * estimated tokens: the one measure routing, trimming, budgets and count_tokens all use. Fields the
 * backend never sees (metadata, context_management…) do not count. With the body's `source`, the
 * measure is read off its text instead of serialising the request again.
 */
export function measurePrompt(request: Pick<MessagesRequest, "system" | "messages" | "tools">, source?: PromptSource): { chars: number; tokens: number } {
  const chars = source
    ? source.chars.system + source.chars.messages + source.chars.tools
    : JSON.stringify(request.system ?? "").length + JSON.stringify(request.messages).length + JSON.stringify(request.tools ?? []).length;
  return { chars, tokens: estimateTokens(chars) };
}

export function describeRequest(request: MessagesRequest, source?: PromptSource): RequestFacts {
  const continued = continuedMessages(request.messages);
  const lastUser = continued.findLast((m) => m.role === "user");
  const blocks: AnthropicContentBlock[] = typeof lastUser?.content === "string" ? [{ type: "text", text: lastUser.content }] : (lastUser?.content ?? []);
  const latestUserText = ownText(blocks);
  const turn = blocks.some((b) => b.type === "tool_result") ? "tool_result" : "user";
  const hasImages = request.messages.some(
    (m) =>
      typeof m.content !== "string" &&
      m.content.some((b) => b.type === "image" || (b.type === "tool_result" && Array.isArray(b.content) && b.content.some((c) => c.type === "image"))),
  );
  const { chars, tokens } = measurePrompt(request, source);
  // A new instruction from the user resets it: only a tool round trip can be stalled.
  const stall = turn === "tool_result" ? detectStall(continued) : undefined;
  const effort = requestEffort(request);
  return { latestUserText, turn, hasImages, chars, estimatedTokens: tokens, ...(stall && { stall }), ...(effort !== undefined && { effort }) };
}

/**
 * The effort a request asks for, as Claude Code's `/effort` (or `--effort`, CLAUDE_CODE_EFFORT_LEVEL,
 * the model's default) set it: the `output_config.effort` of the last `role: "system"` message that
 * carries one (Claude Code's per-turn control, when the effort changed mid-conversation), else the
 * request's own `output_config.effort`. Undefined when neither names one.
 */
export function requestEffort(request: Pick<MessagesRequest, "messages" | "output_config">): string | undefined {
  const turn = request.messages.findLast((m) => m.role === "system" && typeof m.output_config?.effort === "string");
  return turn?.output_config?.effort ?? request.output_config?.effort;
}
