import type { AnthropicThinkingConfig } from "./anthropic-types.js";

/** What the answer does with the model's reasoning, for one request on one profile. */
export interface ThinkingDecision {
  /** Reasoning becomes thinking blocks; otherwise it is dropped. */
  show: boolean;
  /** The request asked to see thinking and the profile's `thinking: strip` dropped it (said in the request log). */
  strippedByProfile: boolean;
}

/**
 * Thinking blocks only when both sides want them: the request asked for thinking (`enabled` or
 * `adaptive`, as Claude Code sends) and the profile exposes it. The Anthropic API never returns
 * thinking a request did not ask for, and an SDK client that did not ask is not ready for those
 * blocks; a profile strips reasoning it does not trust to show (or whose model thinks anyway).
 * `display: "omitted"` asks for no thinking text, which an unsigned local block could not honour
 * other than by leaving the block out.
 *
 * @see docs/proxy.md, "Translation and tool calls"; "Extended thinking" in Anthropic's API documentation.
 */
export function decideThinking(requested: AnthropicThinkingConfig | undefined, profile: "strip" | "expose"): ThinkingDecision {
  const omitted = requested !== undefined && "display" in requested && requested.display === "omitted";
  const wanted = thinkingRequested(requested) === true && !omitted;
  return { show: wanted && profile === "expose", strippedByProfile: wanted && profile === "strip" };
}

/** The request's `thinking` as on/off, undefined when it says nothing (the model's own default). */
export function thinkingRequested(thinking: AnthropicThinkingConfig | undefined): boolean | undefined {
  switch (thinking?.type) {
    case "enabled":
    case "adaptive":
      return true;
    case "disabled":
      return false;
    case undefined:
      return undefined;
    default:
      return thinking satisfies never;
  }
}

/**
 * What `chat_template_kwargs.enable_thinking` says upstream: the profile's `enable_thinking` when it
 * sets one, else the request's `thinking` — `adaptive` (Claude Code's, with or without `display`)
 * like `enabled`. Undefined: nothing is sent, and the model thinks as its chat template does.
 */
export function upstreamThinking(thinking: AnthropicThinkingConfig | undefined, profileEnableThinking: boolean | undefined): boolean | undefined {
  return profileEnableThinking ?? thinkingRequested(thinking);
}
