import type { AnthropicCustomTool, AnthropicMessage, AnthropicOutputBlock, AnthropicStreamEvent } from "../anthropic-types.js";

/**
 * The tool a profile with `tools.always_call` adds to the offered ones so that a model held to call a
 * tool every turn (a grammar, `tool_choice: required`) can still answer in words: its call is the
 * answer's text, and the client never sees the tool. Small models asked to choose between words and
 * a call describe the call in words ("I'll execute the Read function on this file."); held to a call,
 * they make it.
 */
export const REPLY_TOOL_NAME = "Reply";

export function replyTool(): AnthropicCustomTool {
  return {
    name: REPLY_TOOL_NAME,
    description: "Answers the user in words: when the task is done, to answer a question, or to ask one. Never to show a change: make it with the other tools.",
    input_schema: { type: "object", properties: { text: { type: "string" } }, required: ["text"] },
  };
}

/** The reply's text from its arguments (a JSON object, or whatever the model put there). */
export function replyText(input: unknown): string {
  if (typeof input === "object" && input !== null && typeof (input as { text?: unknown }).text === "string") return (input as { text: string }).text;
  return typeof input === "string" ? input : JSON.stringify(input ?? "");
}

/** The reply's text from its arguments' JSON; cut off (the answer's limit), the text as far as it came. */
export function replyTextOfJson(json: string): string {
  try {
    return replyText(JSON.parse(json === "" ? "{}" : json));
  } catch {
    const partial = /"text"\s*:\s*"((?:[^"\\]|\\.)*)(\\)?/.exec(json);
    if (partial === null) return json;
    try {
      return JSON.parse(`"${partial[1]}"`) as string;
    } catch {
      return partial[1]!;
    }
  }
}

/** A whole answer with each reply call as the text it carries; `end_turn` when no other call is left. */
export function replyCallsAsText(message: AnthropicMessage): AnthropicMessage {
  if (!message.content.some(isReplyCall)) return message;
  const content: AnthropicOutputBlock[] = message.content.map((block) =>
    block.type === "tool_use" && block.name === REPLY_TOOL_NAME ? { type: "text", text: replyText(block.input) } : block,
  );
  const calls = content.some((block) => block.type === "tool_use");
  return { ...message, content, stop_reason: message.stop_reason === "tool_use" && !calls ? "end_turn" : message.stop_reason };
}

function isReplyCall(block: AnthropicOutputBlock): boolean {
  return block.type === "tool_use" && block.name === REPLY_TOOL_NAME;
}

/**
 * The same on a stream: a reply call's block is held until it stops and then sent as a text block at
 * its index, and the answer's `tool_use` stop becomes `end_turn` when it made no other call.
 */
export function createReplyCallTranslator(): (event: AnthropicStreamEvent) => AnthropicStreamEvent[] {
  let held: { index: number; json: string } | undefined;
  let otherCalls = false;
  return (event) => {
    switch (event.type) {
      case "content_block_start":
        if (event.content_block.type === "tool_use" && event.content_block.name === REPLY_TOOL_NAME) {
          held = { index: event.index, json: "" };
          return [];
        }
        if (event.content_block.type === "tool_use") otherCalls = true;
        return [event];
      case "content_block_delta":
        if (held?.index === event.index && event.delta.type === "input_json_delta") {
          held.json += event.delta.partial_json;
          return [];
        }
        return [event];
      case "content_block_stop": {
        if (held?.index !== event.index) return [event];
        const { index, json } = held;
        held = undefined;
        return [
          { type: "content_block_start", index, content_block: { type: "text", text: "" } },
          { type: "content_block_delta", index, delta: { type: "text_delta", text: replyTextOfJson(json) } },
          event,
        ];
      }
      case "message_delta":
        return event.delta.stop_reason === "tool_use" && !otherCalls ? [{ ...event, delta: { ...event.delta, stop_reason: "end_turn" } }] : [event];
      default:
        return [event];
    }
  };
}
