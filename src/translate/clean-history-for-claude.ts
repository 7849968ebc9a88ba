import type { AnthropicContentBlock, AnthropicMessageParam, MessagesRequest } from "./anthropic-types.js";

/**
 * A conversation that was on a local model, made acceptable to the Anthropic API before it goes to
 * Claude. Pure; the same history always cleans to the same bytes (the API's prompt cache hits on every
 * following turn). What the API would refuse or misread:
 * - thinking blocks a local model produced carry no valid signature (the API answers 400 to them);
 * - tool_use ids must match ^[a-zA-Z0-9_-]+$ (a local model's may not): each invalid id is rewritten,
 *   the same way in its tool_use and its tool_result, never onto an id already in the conversation;
 * - mallex's own notes in assistant text (a tool call that was not run, an answer cut at the local
 *   output cap) were for the user, not words of the model: Claude would take them as its own;
 * - text blocks left empty by that (the API refuses empty text blocks), and assistant turns left with
 *   nothing (the API refuses empty content but for a final assistant turn, the prefill).
 * @see docs/proxy.md, "Routing and escalation" (what a Claude tier is sent); the Messages API in
 *   Anthropic's API reference.
 */
export function cleanHistoryForClaude(request: MessagesRequest): MessagesRequest {
  const ids = toolUseIdMap(request.messages);
  const last = request.messages.length - 1;
  const messages = request.messages.flatMap((message, index): AnthropicMessageParam[] => {
    if (typeof message.content === "string") {
      if (message.role !== "assistant") return [message];
      const text = removeMallexNotes(message.content);
      return text === "" && index !== last ? [] : [{ ...message, content: text }];
    }
    const content = message.content.flatMap((block) => cleanBlock(block, message.role, ids));
    if (content.length === 0 && message.content.length > 0 && message.role === "assistant" && index !== last) return [];
    return [{ ...message, content }];
  });
  return { ...request, messages };
}

/** Thinking blocks without a signature: a local model's, which the Anthropic API refuses. */
export function stripUnsignedThinking(request: MessagesRequest): MessagesRequest {
  return {
    ...request,
    messages: request.messages.map((message) =>
      typeof message.content === "string" ? message : { ...message, content: message.content.filter((block) => !isUnsignedThinking(block)) },
    ),
  };
}

const isUnsignedThinking = (block: AnthropicContentBlock) => block.type === "thinking" && !block.signature;

function cleanBlock(block: AnthropicContentBlock, role: AnthropicMessageParam["role"], ids: ReadonlyMap<string, string>): AnthropicContentBlock[] {
  if (isUnsignedThinking(block)) return [];
  switch (block.type) {
    case "text": {
      const text = role === "assistant" ? removeMallexNotes(block.text) : block.text;
      return text === "" ? [] : [text === block.text ? block : { ...block, text }];
    }
    case "tool_use":
      return [ids.has(block.id) ? { ...block, id: ids.get(block.id)! } : block];
    case "tool_result": {
      const cleaned = { ...block, tool_use_id: ids.get(block.tool_use_id) ?? block.tool_use_id };
      // An empty text block inside a result is refused like any other; an empty result is fine.
      if (Array.isArray(block.content)) cleaned.content = block.content.filter((part) => !(part.type === "text" && part.text === ""));
      return [cleaned];
    }
    default:
      return [block];
  }
}

const VALID_ID = /^[a-zA-Z0-9_-]+$/;

/** Each invalid tool_use id (in tool_use or tool_result blocks) → a valid one unused in the conversation. */
function toolUseIdMap(messages: readonly AnthropicMessageParam[]): Map<string, string> {
  const seen = new Set<string>();
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type === "tool_use") seen.add(block.id);
      else if (block.type === "tool_result") seen.add(block.tool_use_id);
    }
  }
  const taken = new Set([...seen].filter((id) => VALID_ID.test(id)));
  const map = new Map<string, string>();
  for (const id of seen) {
    if (VALID_ID.test(id)) continue;
    const base = id.replace(/[^a-zA-Z0-9_-]+/g, "_").replace(/^_+|_+$/g, "") || "toolu";
    let candidate = base;
    for (let n = 2; taken.has(candidate); n++) candidate = `${base}_${n}`;
    taken.add(candidate);
    map.set(id, candidate);
  }
  return map;
}

/** The invalid-call note's first line (see formatInvalidCallNote: `${prefix}${reason}]\n${raw}`); the model's own raw text stays. */
const INVALID_CALL_NOTE = /\[mallex: the model wrote a tool call that was not run: [^\n]*\]\n/g;
/**
 * See outputCapNote: the blank line before it goes with it. Where max_output_tokens is set is any file
 * (inConfigFile: `in ~/.mallex/mallex.yaml`, `in /work/x.yaml`, `in a mallex.yaml of your own (…)`).
 */
const OUTPUT_CAP_NOTE =
  /(?:\n\n)?\[mallex: the answer was cut at \d+ tokens, the local model's output limit \((?:max_output_tokens[^\n]*?|what leaves room for the next request in [^\n]*?)\)\]/g;

/** Assistant text without the notes mallex added to what the local model wrote. */
export function removeMallexNotes(text: string): string {
  if (!text.includes("[mallex: ")) return text;
  return text.replace(INVALID_CALL_NOTE, "").replace(OUTPUT_CAP_NOTE, "");
}
