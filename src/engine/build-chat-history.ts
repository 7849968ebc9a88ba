import type { ChatHistoryItem, ChatModelFunctionCall, ChatModelResponse } from "node-llama-cpp";
import { EngineRequestError, type EngineMessage } from "./engine-request.js";

/**
 * OpenAI messages as node-llama-cpp's chat history: an assistant turn's tool calls become function
 * calls carrying the results the following `tool` messages give them, so the model's own chat
 * template renders the conversation (and the prefix of the previous turn renders identically, which
 * keeps the KV cache hitting).
 */
export function buildChatHistory(messages: readonly EngineMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  const pending = new Map<string, ChatModelFunctionCall>();
  messages.forEach((message, i) => {
    switch (message.role) {
      case "system":
        history.push({ type: "system", text: message.content });
        return;
      case "user":
        history.push({ type: "user", text: message.content });
        return;
      case "assistant": {
        const response: ChatModelResponse["response"] = message.content === "" ? [] : [message.content];
        for (const call of message.toolCalls) {
          const item: ChatModelFunctionCall = { type: "functionCall", name: call.name, params: call.arguments, result: "" };
          pending.set(call.id, item);
          response.push(item);
        }
        const last = history.at(-1);
        // Two assistant messages in a row are one model turn to a chat template.
        if (last?.type === "model") last.response.push(...response);
        else history.push({ type: "model", response });
        return;
      }
      case "tool": {
        const call = pending.get(message.toolCallId);
        if (!call)
          throw new EngineRequestError(
            `messages[${i}].tool_call_id`,
            `messages[${i}] answers tool call ${JSON.stringify(message.toolCallId)}, which no earlier assistant message made`,
          );
        call.result = message.content;
        pending.delete(message.toolCallId);
        return;
      }
    }
  });
  return history;
}
