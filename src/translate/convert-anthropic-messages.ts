import type {
  AnthropicContentBlock,
  AnthropicDocumentBlock,
  AnthropicImageBlock,
  AnthropicMessageParam,
  AnthropicToolChangeBlock,
  AnthropicToolResultBlock,
} from "./anthropic-types.js";
import { joinTextBlocks } from "./join-text-blocks.js";
import type { OpenAIAssistantMessage, OpenAIChatMessage, OpenAIContentPart, OpenAIToolCall } from "./openai-types.js";
import { renderXmlToolCall, renderXmlToolResult } from "./tool-calls/render-xml-tool-call.js";
import { TranslateError } from "./translate-error.js";
import type { TranslateOptions } from "./translate-options.js";

/**
 * Anthropic conversation messages → OpenAI chat messages, one input message at a time (adjacent
 * same-role messages are merged afterwards, by the caller). Pure and deterministic: the same
 * conversation prefix must render to the same upstream bytes so the backend's KV cache hits.
 *
 * @see docs/proxy.md, "Translation and tool calls"; "Messages" in Anthropic's API reference and "Chat Completions" in OpenAI's
 */
export function convertAnthropicMessages(messages: readonly AnthropicMessageParam[], options: TranslateOptions): OpenAIChatMessage[] {
  const toolNames = new Map<string, string>();
  const out: OpenAIChatMessage[] = [];
  messages.forEach((message, index) => {
    const path = `messages.${index}`;
    const role: string = message.role;
    switch (message.role) {
      case "system": {
        // Claude Code's per-turn settings come in a system message with nothing to say (output_config only).
        const text = contentText(message.content, path);
        if (text !== "") out.push({ role: "user", content: wrapSystemReminder(text) });
        return;
      }
      case "user":
        out.push(...convertUserMessage(message.content, path, options, toolNames));
        return;
      case "assistant":
        out.push(convertAssistantMessage(message.content, path, options, toolNames));
        return;
      default:
        message.role satisfies never;
        throw new TranslateError("E_INVALID_MESSAGE", `${path}.role: unexpected role ${JSON.stringify(role)}; expected "user" or "assistant"`, `${path}.role`);
    }
  });
  return out;
}

/**
 * Claude Code's mid-conversation `role: "system"` message (agent and skill lists) becomes a user
 * reminder in place, the way Claude Code itself folds it when a server rejects the role. Moving
 * it into the system prompt instead would change the cached prefix whenever the list changes.
 */
export function wrapSystemReminder(text: string): string {
  return `<system-reminder>\n${text}\n</system-reminder>`;
}

function convertUserMessage(
  content: string | AnthropicContentBlock[],
  path: string,
  options: TranslateOptions,
  toolNames: ReadonlyMap<string, string>,
): OpenAIChatMessage[] {
  if (typeof content === "string") return [{ role: "user", content }];
  const toolMessages: OpenAIChatMessage[] = [];
  const toolResultTexts: string[] = [];
  const parts: OpenAIContentPart[] = [];
  content.forEach((block, index) => {
    const blockPath = `${path}.content.${index}`;
    if (block.type === "tool_result") {
      const text = toolResultText(block, blockPath);
      if (options.toolMode === "xml") {
        toolResultTexts.push(renderXmlToolResult(block.tool_use_id, toolNames.get(block.tool_use_id), text));
      } else {
        toolMessages.push({ role: "tool", tool_call_id: block.tool_use_id, content: text });
      }
    } else if (block.type === "image") {
      parts.push(convertImage(block, blockPath, options));
    } else if (block.type === "thinking" || block.type === "redacted_thinking") {
      // Never meaningful in a user turn; the API would reject it, the model gains nothing from it.
    } else {
      parts.push({ type: "text", text: blockText(block, blockPath, "user") });
    }
  });
  // Tool results answer the previous assistant turn, so they come first: templates expect the
  // tool messages right after the assistant's tool_calls, then the user's new text.
  const userParts: OpenAIContentPart[] = [...toolResultTexts.map((text): OpenAIContentPart => ({ type: "text", text })), ...parts];
  if (userParts.length === 0) return toolMessages;
  return [...toolMessages, { role: "user", content: normalizeParts(userParts) }];
}

function convertAssistantMessage(
  content: string | AnthropicContentBlock[],
  path: string,
  options: TranslateOptions,
  toolNames: Map<string, string>,
): OpenAIAssistantMessage {
  if (typeof content === "string") return { role: "assistant", content };
  const texts: string[] = [];
  const toolCalls: OpenAIToolCall[] = [];
  const reasoning: string[] = [];
  content.forEach((block, index) => {
    const blockPath = `${path}.content.${index}`;
    switch (block.type) {
      case "tool_use":
        toolNames.set(block.id, block.name);
        if (options.toolMode === "xml") {
          texts.push(renderXmlToolCall(block.name, block.input));
        } else {
          toolCalls.push({
            id: block.id,
            type: "function",
            // mlx json.loads the arguments before templating: never send an empty string.
            function: { name: block.name, arguments: stringifyInput(block.input) },
          });
        }
        return;
      case "thinking":
        // Local thinking has no valid signature; it only goes back when the profile exposes it,
        // for templates that re-render `reasoning_content`.
        if (options.thinking === "expose" && block.thinking !== "") reasoning.push(block.thinking);
        return;
      case "redacted_thinking":
        return;
      default:
        texts.push(blockText(block, blockPath, "assistant"));
    }
  });
  // "" rather than null: mlx turns null into "" anyway, and some templates choke on null.
  const message: OpenAIAssistantMessage = { role: "assistant", content: joinTextBlocks(texts) };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (reasoning.length > 0) message.reasoning_content = joinTextBlocks(reasoning);
  return message;
}

/** JSON.stringify is deterministic for the same input; a missing input is an empty object. */
function stringifyInput(input: unknown): string {
  return input === undefined || input === null ? "{}" : JSON.stringify(input);
}

/** Text of a block that is neither a tool block nor an image in a user turn. */
function blockText(block: AnthropicContentBlock, path: string, role: "user" | "assistant"): string {
  switch (block.type) {
    case "text":
      return block.text;
    case "document":
      return documentText(block);
    case "image":
      return "[image omitted]";
    case "tool_use":
    case "tool_result":
      throw new TranslateError("E_INVALID_MESSAGE", `${path}: a ${block.type} block cannot appear in a ${role} message`, path);
    case "thinking":
    case "redacted_thinking":
      return "";
    case "tool_addition":
    case "tool_removal":
      return toolChangeText(block);
    default: {
      // Server-tool blocks and types newer than this code: say what was left out rather than
      // silently dropping it, so the model does not act as if it had seen it.
      const type: string = (block as { type: string }).type;
      return `[${type} block omitted]`;
    }
  }
}

/**
 * A tool reference (ToolSearch's answer, in a tool_result) or a mid-conversation tool change, in
 * words: which tools a local model may call is decided by the tools it is offered (trimming),
 * and the conversation keeps its bytes, so the backend's prefix cache still holds it.
 */
function toolAvailableText(name: string): string {
  return `Tool ${name} is now available.`;
}

function toolChangeText(block: AnthropicToolChangeBlock): string {
  const name = block.tool.type === "tool_reference" ? block.tool.name : block.tool.definition.name;
  return block.type === "tool_addition" ? toolAvailableText(name) : `Tool ${name} is no longer available; do not call it.`;
}

/** Text of a block with only text content (a system message, a tool result). */
function contentText(content: string | AnthropicContentBlock[], path: string): string {
  if (typeof content === "string") return content;
  return joinTextBlocks(content.map((block, index) => blockText(block, `${path}.content.${index}`, "user")));
}

/**
 * A tool_result as one string: text blocks joined, images dropped with a placeholder (no local
 * backend accepts images in a tool message), `is_error` made visible to the model.
 */
function toolResultText(block: AnthropicToolResultBlock, path: string): string {
  const content = block.content ?? "";
  const text =
    typeof content === "string"
      ? content
      : joinTextBlocks(
          content.map((part, index) => {
            switch (part.type) {
              case "search_result":
                return joinTextBlocks([part.title ?? "", ...(part.content ?? []).map((c) => c.text)]);
              case "tool_reference":
                // The API puts the tool's definition here; a local model is offered it with the others (trimming).
                return toolAvailableText(part.tool_name);
              default:
                return blockText(part, `${path}.content.${index}`, "user");
            }
          }),
        );
  return block.is_error === true ? `Error: ${text}` : text;
}

function convertImage(block: AnthropicImageBlock, path: string, options: TranslateOptions): OpenAIContentPart {
  if (!options.vision) {
    const profile = options.profileName === undefined ? "this model profile" : `model profile "${options.profileName}"`;
    throw new TranslateError(
      "E_VISION_UNSUPPORTED",
      `${profile} has no vision support, but ${path} is an image. Remove the image or use a profile with vision.`,
      path,
    );
  }
  switch (block.source.type) {
    case "base64":
      return { type: "image_url", image_url: { url: `data:${block.source.media_type};base64,${block.source.data}` } };
    case "url":
      return { type: "image_url", image_url: { url: block.source.url } };
    case "file":
      // Files API ids only resolve on Anthropic's side.
      return { type: "text", text: `[image omitted: file ${block.source.file_id} is not available locally]` };
    default:
      return block.source satisfies never;
  }
}

/** Plain-text documents are inlined; PDFs and remote files cannot be read by a local model. */
function documentText(block: AnthropicDocumentBlock): string {
  const title = block.title ?? undefined;
  const source = block.source;
  let body: string | undefined;
  if (source.type === "text") body = source.data;
  if (source.type === "content") {
    body = typeof source.content === "string" ? source.content : joinTextBlocks(source.content.map((part) => (part.type === "text" ? part.text : "")));
  }
  if (body !== undefined) {
    const open = title === undefined ? "<document>" : `<document title="${title}">`;
    return `${open}\n${body}\n</document>`;
  }
  const kind = source.type === "base64" ? source.media_type : `${source.type} reference`;
  const named = title === undefined ? "" : ` "${title}"`;
  return `[document${named} omitted: this model cannot read ${kind} documents]`;
}

/** A plain string when there is no image (what every text-only server expects), parts otherwise. */
export function normalizeParts(parts: readonly OpenAIContentPart[]): string | OpenAIContentPart[] {
  const merged: OpenAIContentPart[] = [];
  for (const part of parts) {
    const last = merged.at(-1);
    if (part.type === "text" && last?.type === "text") {
      merged[merged.length - 1] = { type: "text", text: joinTextBlocks([last.text, part.text]) };
    } else {
      merged.push(part);
    }
  }
  if (merged.every((part) => part.type === "text")) {
    return joinTextBlocks(merged.map((part) => (part.type === "text" ? part.text : "")));
  }
  return merged;
}
