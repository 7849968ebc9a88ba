// @ts-check
/**
 * A deterministic stand-in for `tokenizer.apply_chat_template(messages, tools=tools,
 * add_generation_prompt=True)`: a Qwen3/Hermes-style ChatML template, plus the message
 * preprocessing mlx_lm/server.py does first (`process_message_content`) and a toy tokenizer.
 * Errors thrown here are the ones the real server answers with HTTP 404 `{"error": str(e)}`.
 */
import { dumpsPython, pythonTypeName } from "./python-json.js";

/** Special tokens count as one token each, words are cut into pieces of at most 8 characters. */
const TOKEN = /<\|[a-z_]+\|>|<\/?(?:think|tool_call|tool_response|tools)>| ?[\p{L}\p{N}_]{1,8}| ?[^\s\p{L}\p{N}_]|\s/gu;

/**
 * Splits text into tokens; `tokenize(a).join("") === a` always holds.
 * @param {string} text
 * @returns {string[]}
 */
export function tokenize(text) {
  return text.match(TOKEN) ?? [];
}

/** The text a generated tool call has between `<tool_call>` and `</tool_call>`. @param {string} name @param {unknown} args */
export function renderToolCallBody(name, args) {
  const rendered = typeof args === "string" ? args : dumpsPython(args ?? {}, false);
  return `\n{"name": ${dumpsPython(name, false)}, "arguments": ${rendered}}\n`;
}

/**
 * Renders a chat request to its prompt text, the way the model's chat template would.
 * @param {unknown} messages the request's `messages`, unvalidated
 * @param {unknown} tools the request's `tools`
 * @param {boolean | undefined} enableThinking `chat_template_kwargs.enable_thinking`
 * @returns {string}
 * @throws {Error} where mlx-lm.server fails while templating (answered with a 404)
 */
export function renderChatPrompt(messages, tools, enableThinking) {
  const list = normalizeMessages(messages);
  const last = list.at(-1);
  if (last === undefined) throw new Error("list index out of range");
  if (!("role" in last)) throw new Error("'role'");

  let prompt = "";
  const toolList = Array.isArray(tools) && tools.length > 0 ? tools : undefined;
  const first = list[0];
  const system = first?.role === "system" ? String(first.content) : undefined;
  if (toolList) {
    const signatures = toolList.map((tool) => dumpsPython(tool, false)).join("\n");
    prompt += `<|im_start|>system\n${system ? `${system}\n\n` : ""}# Tools\n\n<tools>\n${signatures}\n</tools><|im_end|>\n`;
  } else if (system !== undefined) {
    prompt += `<|im_start|>system\n${system}<|im_end|>\n`;
  }
  for (const [index, message] of list.entries()) {
    if (index === 0 && system !== undefined) continue;
    prompt += renderMessage(message);
  }
  prompt += "<|im_start|>assistant\n";
  if (enableThinking === false) prompt += "<think>\n\n</think>\n\n";
  return prompt;
}

/** @param {Record<string, unknown>} message */
function renderMessage(message) {
  const role = String(message.role);
  const content = String(message.content ?? "");
  if (role === "tool") return `<|im_start|>user\n<tool_response>\n${content}\n</tool_response><|im_end|>\n`;
  let text = content;
  if (role === "assistant" && Array.isArray(message.tool_calls)) {
    for (const call of message.tool_calls) {
      const fn = call?.function ?? {};
      text += `<tool_call>${renderToolCallBody(String(fn.name), fn.arguments ?? {})}</tool_call>`;
    }
  }
  return `<|im_start|>${role}\n${text}<|im_end|>\n`;
}

/**
 * `process_message_content`: list content must be all `text` parts (joined with ""),
 * `null` content becomes "", assistant tool-call arguments are `json.loads`-ed.
 * @param {unknown} messages
 * @returns {Array<Record<string, unknown>>}
 */
function normalizeMessages(messages) {
  if (!Array.isArray(messages)) {
    const type = pythonTypeName(messages);
    throw new Error(type === "str" || type === "dict" ? "'str' object has no attribute 'get'" : `'${type}' object is not iterable`);
  }
  return messages.map((message) => {
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw new Error(`'${pythonTypeName(message)}' object has no attribute 'get'`);
    }
    const out = { ...message };
    if (Array.isArray(out.content)) out.content = joinTextParts(out.content);
    else if (out.content === null || out.content === undefined) out.content = "";
    if (Array.isArray(out.tool_calls)) out.tool_calls = out.tool_calls.map(parseToolCallArguments);
    return out;
  });
}

/** @param {unknown[]} parts */
function joinTextParts(parts) {
  const texts = parts.map((part) => {
    const fields = /** @type {Record<string, unknown>} */ (part ?? {});
    if (!("type" in fields)) throw new Error("'type'");
    if (fields.type !== "text") return undefined;
    if (!("text" in fields)) throw new Error("'text'");
    return String(fields.text);
  });
  if (texts.includes(undefined)) throw new Error("Only 'text' content type is supported.");
  return texts.join("");
}

/** @param {any} call */
function parseToolCallArguments(call) {
  const args = call?.function?.arguments;
  if (!args) return call;
  if (typeof args !== "string") {
    throw new Error(`the JSON object must be str, bytes or bytearray, not ${pythonTypeName(args)}`);
  }
  try {
    return { ...call, function: { ...call.function, arguments: JSON.parse(args) } };
  } catch (error) {
    throw new Error(`Expecting value: ${/** @type {Error} */ (error).message}`);
  }
}
